"""Which of a role's Debian packages still need installing, from one dpkg-query call (the query and the rule
are in module_utils/packages.py, which the policy_rc module shares):

    - name: Check which of the packages are installed
      ansible.builtin.command:
        argv: "{{ ['dpkg-query', '-W', '-f=${Package}=${db:Status-Status} ', '--'] + packages }}"
      register: query
      changed_when: false
      failed_when: false      # exit 1 when one of them is unknown to dpkg: that one is missing
      check_mode: false

    {{ query.stdout | webstack.tiers.packages_missing(packages) }}  -> ['php8.2-fpm']
"""

from ansible_collections.webstack.tiers.plugins.module_utils.packages import packages_missing


class FilterModule:
    def filters(self):
        return {"packages_missing": packages_missing}
