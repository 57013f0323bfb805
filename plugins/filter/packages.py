"""Which of a role's Debian packages still need installing, from one dpkg-query call.

A role asks dpkg first and runs apt only for what is missing: on a converged host a dpkg-query costs one quick
command, where apt, even with nothing to do, loads its whole cache (about three times the time). The query:

    - name: Check which of the packages are installed
      ansible.builtin.command:
        argv: "{{ ['dpkg-query', '-W', '-f=${Package}=${db:Status-Status} ', '--'] + packages }}"
      register: query
      changed_when: false
      failed_when: false      # exit 1 when one of them is unknown to dpkg: that one is missing
      check_mode: false

    {{ query.stdout | webstack.tiers.packages_missing(packages) }}  -> ['php8.2-fpm']
"""


def packages_missing(dpkg_output, wanted):
    """The names in wanted that dpkg does not list as installed (a half-configured package counts as missing).
    A name may carry an architecture (name:amd64) or a version (name=1.2); dpkg lists the bare name."""
    installed = {name for name, _, status in (entry.partition("=") for entry in (dpkg_output or "").split())
                 if status == "installed"}
    return [name for name in wanted if name.split("=")[0].split(":")[0] not in installed]


class FilterModule:
    def filters(self):
        return {"packages_missing": packages_missing}
