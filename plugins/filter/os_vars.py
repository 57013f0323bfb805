"""The files of a role's OS variables, in the order they are loaded; one pattern for every role.

`vars/default.yml` holds every internal `__<role>_*` value that depends on the OS, for the release the role
was written against. The first file found of `<distribution>-<major>.yml`, `<distribution>.yml` and
`<os_family>.yml` is loaded over it and names only what differs there (apache's `Debian-13.yml` holds just
the PHP version). Each role's `tasks/main.yml` starts with:

    - name: Load vars/default.yml, then the file for this OS release over it
      ansible.builtin.include_vars: "{{ item }}"
      loop: "{{ role_path | webstack.tiers.os_vars_files(ansible_facts) }}"
      loop_control:
        label: "{{ item | basename }}"

after a setup task that gathers gather_subset min when the play did not gather facts.
"""

import os

from ansible.errors import AnsibleFilterError


def os_vars_files(role_path, facts):
    """vars/default.yml, then the most specific file for this host, if the role has one."""
    if not facts.get("os_family"):
        raise AnsibleFilterError("os_vars_files needs the facts of gather_subset min (os_family, distribution)")
    vars_dir = os.path.join(role_path, "vars")
    candidates = [f"{facts.get('distribution')}-{facts.get('distribution_major_version')}.yml",
                  f"{facts.get('distribution')}.yml", f"{facts['os_family']}.yml"]
    found = [path for path in (os.path.join(vars_dir, name) for name in candidates) if os.path.isfile(path)]
    return [os.path.join(vars_dir, "default.yml")] + found[:1]


class FilterModule:
    def filters(self):
        return {"os_vars_files": os_vars_files}
