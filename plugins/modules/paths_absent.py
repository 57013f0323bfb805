#!/usr/bin/python
"""Remove a list of paths in one task: the roles' clean-up of retired files, one module call per run."""

DOCUMENTATION = r"""
module: paths_absent
short_description: Make sure none of the given paths exists, in one call
description:
  - Removes each path that exists (a file, a link, which is removed and not followed, or a directory with all
    it holds), as C(ansible.builtin.file) with C(state=absent) does, in one call for the whole list instead of
    one per path.
  - Reports changed when it removed something; in check mode it removes nothing and reports what it would.
options:
  paths:
    description: Absolute paths to remove.
    type: list
    elements: path
    required: true
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Remove the files of absent sites
  webstack.tiers.paths_absent:
    paths:
      - /etc/nginx/sites-enabled/webstack-old.conf
      - /etc/nginx/sites-available/webstack-old.conf
  notify: Reload nginx
"""

RETURN = r"""
removed:
  description: The paths that existed and are gone (in check mode, that would be gone).
  type: list
  elements: str
  returned: always
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={"paths": {"type": "list", "elements": "path", "required": True}},
        supports_check_mode=True,
    )
    paths = module.params["paths"]
    relative = [path for path in paths if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg=f"paths_absent: paths must be absolute: {relative}")
    present = [path for path in dict.fromkeys(paths) if os.path.lexists(path)]
    if not module.check_mode:
        for path in present:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
    diff = {"before": "".join(f"{path}\n" for path in present), "after": ""}
    module.exit_json(changed=bool(present), removed=present, diff=diff)


if __name__ == "__main__":
    main()
