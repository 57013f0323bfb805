#!/usr/bin/python
"""Put sample files where there is no file yet, in one task: one module call per run for the whole list."""

DOCUMENTATION = r"""
module: sample_files
short_description: Write each given file that does not exist yet, and leave every existing one alone
description:
  - For sample content an operator may replace or edit (a sample page, a sample stylesheet) each file of
    O(files) is written only when nothing is at its path; a file that is there, whatever it holds and whoever
    owns it, is left as it is. One call for the whole list, where C(ansible.builtin.copy) with C(force=false)
    costs two per file.
  - A new file is written beside its place and linked in, so a reader never sees half of it and a file that
    appears meanwhile is never replaced.
  - Reports changed when it wrote a file; in check mode it writes nothing and reports what it would.
options:
  files:
    description: The files, each absolute path (its directory must exist) with what a new file there holds.
    type: dict
    required: true
  owner:
    description: The owner (name) of the new files.
    type: str
    default: root
  group:
    description: The group (name) of the new files.
    type: str
    default: root
  mode:
    description: The mode of the new files, as an octal string such as C("0644").
    type: str
    required: true
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Put a sample page in the document root
  webstack.tiers.sample_files:
    files:
      /var/www/webstack/index.html: "{{ lookup('ansible.builtin.file', 'sample_site/index.html', rstrip=false) }}"
    mode: "0644"
"""

RETURN = r"""
created:
  description: The files that were written (in check mode, that would be).
  type: list
  elements: str
  returned: always
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.tiers.plugins.module_utils.staged_file import numeric_attributes, stage_beside


def main():
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "dict", "required": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    try:
        mode, uid, gid = numeric_attributes(module.params["mode"], module.params["owner"], module.params["group"])
    except (ValueError, KeyError) as error:
        module.fail_json(msg=f"sample_files: bad mode, owner or group: {error}")
    files = module.params["files"]
    relative = [dest for dest in files if not os.path.isabs(dest)]
    if relative:
        module.fail_json(msg=f"sample_files: paths must be absolute: {relative}")

    created = []
    for dest, content in files.items():
        if os.path.lexists(dest):
            continue
        created.append(dest)
        if module.check_mode:
            continue
        try:
            staged = stage_beside(dest, str(content).encode("utf-8"), mode, uid, gid)
        except OSError as error:
            module.fail_json(msg=f"sample_files: cannot write beside {dest}: {error}", created=created[:-1])
        try:
            os.link(staged, dest)
        except FileExistsError:
            created.pop()  # it appeared meanwhile: it stays as it is
        finally:
            os.unlink(staged)
    diff = {"before": "", "after": "".join(f"{dest}\n" for dest in created)}
    module.exit_json(changed=bool(created), created=created, diff=diff)


if __name__ == "__main__":
    main()
