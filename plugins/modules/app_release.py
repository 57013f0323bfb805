#!/usr/bin/python
"""Read, switch or prune an app's releases under its install directory (see module_utils/app_releases.py)."""

DOCUMENTATION = r"""
module: app_release
short_description: Read, switch or prune the releases of an app installed by webstack.tiers.uvicorn
description:
  - An app's releases live in I(install_dir)C(/releases/<id>/), each complete once its C(.webstack-release) file
    is written; the link I(install_dir)C(/current) names the live one, and I(install_dir)C(/history) logs every
    switch.
  - C(read) reports the releases and changes nothing; C(switch) points C(current) at I(release) with one rename;
    C(prune) removes all but the I(keep) releases deployed last, never the live one nor the one before it.
  - Every action returns the state after it (in check mode, the state before it).
options:
  install_dir:
    description: The app's install directory.
    type: path
    required: true
  action:
    description: What to do.
    type: str
    choices: [read, switch, prune]
    default: read
  release:
    description: For C(switch), the id of a complete release on disk.
    type: str
  rejected:
    description:
      - For C(switch), the release a failed deploy leaves; it is logged, and no longer counts as the one before
        until it is made live again.
    type: str
  keep:
    description:
      - For C(prune), how many releases to keep (at least the live one and the one before it stay); 5 when not
        given.
      - For C(switch), when given, the releases are pruned to this many after the switch, in the same call.
    type: int
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Make release 3f2a9c1e0b7d4a21 the live one
  webstack.tiers.app_release:
    install_dir: /opt/webstack-app
    action: switch
    release: 3f2a9c1e0b7d4a21
"""

RETURN = r"""
live:
  description: The live release's id (null when there is none).
  type: str
  returned: always
previous:
  description: The release that was live before it and is still complete on disk (null when there is none).
  type: str
  returned: always
releases:
  description: Each release on disk, newest deployment first, with id, complete, built_at, deployed_at and rejected.
  type: list
  elements: dict
  returned: always
was_live:
  description: For C(switch), the release that was live before the switch.
  type: str
  returned: when action is switch
retired:
  description: The paths of the layout from before releases (C(app/), C(venv/), C(requirements.lock) straight
    under I(install_dir)) that are still there; the role removes them once the app runs from C(current).
  type: list
  elements: str
  returned: always
removed:
  description: For C(prune), and C(switch) with I(keep), the ids removed (in check mode, that would be).
  type: list
  elements: str
  returned: when action is prune, or switch with keep
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.tiers.plugins.module_utils.app_releases import (
    prune, read, retired_paths, switch,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "install_dir": {"type": "path", "required": True},
            "action": {"type": "str", "choices": ["read", "switch", "prune"], "default": "read"},
            "release": {"type": "str"},
            "keep": {"type": "int"},
            "rejected": {"type": "str"},
        },
        required_if=[("action", "switch", ["release"])],
        supports_check_mode=True,
    )
    install_dir, action = module.params["install_dir"], module.params["action"]
    result = {"changed": False}
    try:
        if action == "switch":
            was = switch(install_dir, module.params["release"], module.check_mode, module.params["rejected"])
            result.update(changed=was != module.params["release"], was_live=was,
                          diff={"before": f"current -> releases/{was}\n" if was else "",
                                "after": f"current -> releases/{module.params['release']}\n"})
        keep = module.params["keep"]
        if action == "prune" or (action == "switch" and keep is not None):
            removed = prune(install_dir, 5 if keep is None else keep, module.check_mode)
            result.update(changed=result["changed"] or bool(removed), removed=removed)
    except (OSError, ValueError) as err:
        module.fail_json(msg=f"app_release {action} in {install_dir}: {err}")
    result.update(read(install_dir), retired=retired_paths(install_dir))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
