#!/usr/bin/python
"""A service's system group and user, and the users let into the group, in one task: one module call per run."""

DOCUMENTATION = r"""
module: service_account
short_description: Make sure a service's system group and login-less user exist, and who else is in the group
description:
  - Creates the group (a system group) when it is missing, and the user (a system user in that group, with the
    given shell and home, no home directory made) when it is missing. An existing user gets the group, shell and
    home it should have; nothing else about it changes.
  - Adds each of the members to the group (as a supplementary group) unless it is in the group already. A
    member must be an existing user; one that is not fails the task before anything changes.
  - One call for what three C(group) and C(user) tasks did. Reports changed when it ran a command; in check
    mode it runs none and reports what it would run.
  - With I(accounts), several such accounts in the one call, each made in its turn (the shell and home apply to
    all); every name and member is checked before any account changes.
options:
  name:
    description: The user. Required unless I(accounts) is given.
    type: str
  group:
    description: The user's group. Required with I(name).
    type: str
  members:
    description: Existing users to add to the group.
    type: list
    elements: str
    default: []
  accounts:
    description: Several accounts instead of I(name), I(group) and I(members), each with those keys.
    type: list
    elements: dict
  shell:
    description: The user's shell.
    type: str
    default: /usr/sbin/nologin
  home:
    description: The user's home, which is not created.
    type: str
    default: /nonexistent
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Create the app's group and user, and let www-data open its socket
  webstack.tiers.service_account:
    name: webstack-app
    group: webstack-app
    members: [www-data]

- name: Create two apps' groups and users in one call
  webstack.tiers.service_account:
    accounts:
      - {name: webstack-app, group: webstack-app, members: [www-data]}
      - {name: webstack-app-shop, group: webstack-app-shop, members: [www-data]}
"""

RETURN = r"""
commands:
  description: The commands run (in check mode, that would be run), each as its arguments.
  type: list
  elements: list
  returned: always
"""

import grp
import pwd
import re

from ansible.module_utils.basic import AnsibleModule

# A name that cannot be taken for an option or split a passwd or group line (useradd may be stricter).
NAME = re.compile(r"^[A-Za-z0-9_.][-A-Za-z0-9_.]*\$?$")


def entry(lookup, name):
    """The passwd or group entry of name, or None when there is none."""
    try:
        return lookup(name)
    except KeyError:
        return None


def commands(name, group, members, shell, home):
    """The commands that make the accounts as asked, from what the host has now."""
    todo = []
    group_entry = entry(grp.getgrnam, group)
    if group_entry is None:
        todo.append(["groupadd", "--system", group])
    user = entry(pwd.getpwnam, name)
    if user is None:
        todo.append(["useradd", "--system", "--gid", group, "--shell", shell, "--home-dir", home,
                     "--no-create-home", name])
    else:
        change = []
        if group_entry is None or user.pw_gid != group_entry.gr_gid:
            change += ["--gid", group]
        if user.pw_shell != shell:
            change += ["--shell", shell]
        if user.pw_dir != home:
            change += ["--home-dir", home]
        if change:
            todo.append(["usermod", *change, name])
    for member in members:
        if member == name:
            continue  # the user itself is in the group already, or gets it as its own above
        member_entry = entry(pwd.getpwnam, member)
        in_group = group_entry is not None and (member in group_entry.gr_mem or (
            member_entry is not None and member_entry.pw_gid == group_entry.gr_gid))
        if not in_group:
            todo.append(["usermod", "--append", "--groups", group, member])
    return todo


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str"},
            "group": {"type": "str"},
            "members": {"type": "list", "elements": "str", "default": []},
            "accounts": {"type": "list", "elements": "dict", "options": {
                "name": {"type": "str", "required": True},
                "group": {"type": "str", "required": True},
                "members": {"type": "list", "elements": "str", "default": []},
            }},
            "shell": {"type": "str", "default": "/usr/sbin/nologin"},
            "home": {"type": "str", "default": "/nonexistent"},
        },
        required_one_of=[("name", "accounts")],
        mutually_exclusive=[("name", "accounts"), ("members", "accounts")],
        required_together=[("name", "group")],
        supports_check_mode=True,
    )
    params = module.params
    accounts = params["accounts"] or [{key: params[key] for key in ("name", "group", "members")}]
    bad = [value for account in accounts for value in [account["name"], account["group"], *account["members"]]
           if not NAME.match(value)]
    if bad:
        module.fail_json(msg=f"service_account: not a user or group name: {bad}")
    missing = [member for account in accounts for member in account["members"]
               if member != account["name"] and entry(pwd.getpwnam, member) is None]
    if missing:
        module.fail_json(msg=f"service_account: members must be existing users; there is no user {missing}")

    # Each account in its turn, from what the host has after the one before (two may share a group).
    done = []
    for account in accounts:
        todo = commands(account["name"], account["group"], account["members"], params["shell"], params["home"])
        for argv in todo:
            if argv in done:
                continue  # in check mode, what an earlier account would have run
            done.append(argv)
            if not module.check_mode:
                rc, out, err = module.run_command([module.get_bin_path(argv[0], required=True), *argv[1:]])
                if rc != 0:
                    module.fail_json(msg=f"service_account: {' '.join(argv)} failed: {err.strip() or out.strip()}",
                                     rc=rc, commands=done)
    module.exit_json(changed=bool(done), commands=done)


if __name__ == "__main__":
    main()
