#!/usr/bin/python
"""Create a list of directories with their owners and modes in one task: one module call per run."""

DOCUMENTATION = r"""
module: directories
short_description: Make sure each given directory exists with its owner, group and mode, in one call
description:
  - Creates each directory that is missing (its missing parents too, owned by root with mode 0755) and gives
    every listed directory its owner, group and mode, as C(ansible.builtin.file) with C(state=directory) does,
    in one call for the whole list instead of one per path.
  - A listed path that exists but is not a directory (or a link to one) fails the task; nothing is replaced.
  - Reports changed when it created a directory or changed an owner or mode; in check mode it changes nothing
    and reports what it would.
options:
  paths:
    description: The directories, in the order they are made. Each is an absolute path, or a dictionary with its
      C(path) and any of C(owner), C(group) and C(mode) that differ from the task's own.
    type: list
    elements: raw
    required: true
  owner:
    description: The owner (name) of the directories that name none.
    type: str
    default: root
  group:
    description: The group (name) of the directories that name none.
    type: str
    default: root
  mode:
    description: The mode of the directories that name none, as an octal string such as C("0755").
    type: str
    required: true
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Create the certificate and challenge directories
  webstack.tiers.directories:
    paths:
      - {path: /etc/nginx/webstack-tls, mode: "0700"}
      - /var/www/webstack-acme
    mode: "0755"
"""

RETURN = r"""
created:
  description: The directories that did not exist and were made (in check mode, that would be).
  type: list
  elements: str
  returned: always
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.tiers.plugins.module_utils.staged_file import numeric_attributes, set_attributes


def wanted(entry, defaults):
    """(path, mode, uid, gid) of one entry; raises ValueError, KeyError or TypeError for a bad entry."""
    if isinstance(entry, str):
        entry = {"path": entry}
    unknown = set(entry) - {"path", "owner", "group", "mode"}
    if unknown or not isinstance(entry.get("path"), str):
        raise TypeError(f"{entry!r} needs a path and may name only owner, group and mode")
    entry = {**defaults, **entry}
    return (entry["path"], *numeric_attributes(entry["mode"], entry["owner"], entry["group"]))


def name_of(lookup, number):
    """The name of a user or group id, or the number when it has none."""
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def describe(path, mode, uid, gid):
    """One line of the diff: the directory and its attributes."""
    return f"{path} {name_of(pwd.getpwuid, uid)}:{name_of(grp.getgrgid, gid)} {mode:04o}\n"


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "raw", "required": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    defaults = {key: module.params[key] for key in ("owner", "group", "mode")}
    try:
        entries = [wanted(entry, defaults) for entry in module.params["paths"]]
    except (ValueError, KeyError, TypeError) as error:
        module.fail_json(msg=f"directories: bad entry, mode, owner or group: {error}")
    relative = [path for path, *_ in entries if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg=f"directories: paths must be absolute: {relative}")
    not_directories = [path for path, *_ in entries if os.path.lexists(path) and not os.path.isdir(path)]
    if not_directories:
        module.fail_json(msg=f"directories: these exist and are not directories: {not_directories}")

    created, before, after = [], "", ""
    for path, mode, uid, gid in entries:
        if not os.path.isdir(path):
            created.append(path)
            after += describe(path, mode, uid, gid)
            if module.check_mode:
                continue
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            os.mkdir(path, mode)
        status = os.stat(path)
        if set_attributes(path, mode, module.check_mode, uid, gid) and path not in created:
            before += describe(path, status.st_mode & 0o7777, status.st_uid, status.st_gid)
            after += describe(path, mode, uid, gid)
    module.exit_json(changed=bool(after), created=created, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
