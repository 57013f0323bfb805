#!/usr/bin/python
"""Hold a package's services from starting while it is first installed, with a policy-rc.d of the role's own."""

DOCUMENTATION = r"""
module: policy_rc
short_description: Hold services from starting during a package's first installation
description:
  - Debian's maintainer scripts start services through invoke-rc.d (with the service's name) or, where systemd
    runs, deb-systemd-invoke (with the unit's name, C(nginx.service)); both ask C(/usr/sbin/policy-rc.d) first.
  - C(state=present) writes a policy-rc.d that refuses (exit 101) to start the named services and allows
    everything else, only when there is no policy-rc.d yet. One that is there already, whoever wrote it, decides.
  - C(state=absent) removes the policy-rc.d only when I(owner) wrote it. A run killed during an install leaves it
    behind; the next run's C(state=absent) cleans it up. Anyone else's stays.
  - With I(packages), it also asks dpkg which of them are not installed (C(missing)) and the version of each
    that is (C(versions)), in the same call, so a role cleans up and learns whether it must install before it
    holds a service again.
options:
  owner:
    description: Who writes the file (a role name); it is written in the file and recognised by C(state=absent).
    type: str
    required: true
  services:
    description: The services whose start is held. Required with C(state=present).
    type: list
    elements: str
    default: []
  state:
    description: C(present) to hold the services, C(absent) to remove the owner's file.
    type: str
    choices: [present, absent]
    default: present
  packages:
    description: Debian packages to look up with dpkg, also in check mode; those not installed come back as
      C(missing).
    type: list
    elements: str
    default: []
  path:
    description: Where invoke-rc.d looks for the policy.
    type: path
    default: /usr/sbin/policy-rc.d
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Hold nginx's start during the first installation
  webstack.tiers.policy_rc:
    owner: webstack.tiers.nginx
    services: [nginx]
  register: held

- name: Allow it again
  webstack.tiers.policy_rc:
    owner: webstack.tiers.nginx
    state: absent
  when: held is changed

- name: Remove what an interrupted run left behind, and ask dpkg what is missing
  webstack.tiers.policy_rc:
    owner: webstack.tiers.nginx
    state: absent
    packages: [nginx, logrotate]
  register: installed    # installed.missing: the packages dpkg does not list as installed
"""

RETURN = r"""
held:
  description: Whether the services are held by the owner's file after the task.
  type: bool
  returned: always
missing:
  description: The I(packages) that dpkg does not list as installed (a half-configured one counts as missing).
  type: list
  elements: str
  returned: always
versions:
  description: The Debian version of each of the I(packages) that is installed, by name.
  type: dict
  returned: always
  sample: {nginx: "1.22.1-9+deb12u1"}
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.tiers.plugins.module_utils.packages import (
    QUERY, installed_versions, packages_missing,
)
from ansible_collections.webstack.tiers.plugins.module_utils.staged_file import stage_beside

_SERVICE = re.compile(r"[A-Za-z0-9@._-]+")


def marker(owner):
    return f"# written by {owner} "


def policy(owner, services):
    """The script: exit 101 (action forbidden) for the services, 0 (allowed) for everything else."""
    names = "|".join(f"{service}|{service}.service" for service in services)
    return f"#!/bin/sh\n{marker(owner)}during its first install\ncase \"$1\" in {names}) exit 101 ;; esac\nexit 0\n"


def written_by(path, owner):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return marker(owner) in handle.read()
    except FileNotFoundError:
        return False


def hold(path, content):
    """Write the file only if none exists, all at once: a link of a complete temporary file fails if one does."""
    temporary = stage_beside(path, content.encode("utf-8"), 0o755)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temporary)


def main():
    module = AnsibleModule(
        argument_spec={
            "owner": {"type": "str", "required": True},
            "services": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "packages": {"type": "list", "elements": "str", "default": []},
            "path": {"type": "path", "default": "/usr/sbin/policy-rc.d"},
        },
        supports_check_mode=True,
    )
    owner, services, path = module.params["owner"], module.params["services"], module.params["path"]
    dpkg = {"missing": [], "versions": {}}    # what the packages query found, in every result
    if module.params["packages"]:
        # dpkg-query exits 1 when a package is unknown to it: that one is missing.
        rc, out, err = module.run_command(QUERY + module.params["packages"])
        if rc not in (0, 1):
            module.fail_json(msg=f"policy_rc: dpkg-query failed: {err.strip()}", rc=rc)
        dpkg = {"missing": packages_missing(out, module.params["packages"]), "versions": installed_versions(out)}
    if module.params["state"] == "absent":
        if not written_by(path, owner):
            module.exit_json(changed=False, held=False, **dpkg)
        if not module.check_mode:
            os.unlink(path)
        module.exit_json(changed=True, held=False, **dpkg)
    bad = [service for service in services if not _SERVICE.fullmatch(service)]
    if bad or not services or "\n" in owner:
        module.fail_json(msg=f"policy_rc: services must be plain service names, at least one: {services}; "
                             "owner must be one line")
    if os.path.lexists(path):
        module.exit_json(changed=False, held=written_by(path, owner), **dpkg)
    if module.check_mode:
        module.exit_json(changed=True, held=True, **dpkg)
    written = hold(path, policy(owner, services))
    module.exit_json(changed=written, held=written or written_by(path, owner), **dpkg)


if __name__ == "__main__":
    main()
