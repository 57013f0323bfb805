#!/usr/bin/python
"""Write a file from content rendered on the controller, checked and validated in one module call."""

DOCUMENTATION = r"""
module: config_file
short_description: Keep a file's content, owner and mode, in one call
description:
  - Makes O(dest) hold O(content) with the given owner, group and mode. The roles give it a template rendered
    on the controller (C(lookup('ansible.builtin.template', ...))), so a file that is already right costs one
    module call, where C(ansible.builtin.template) and C(ansible.builtin.copy) make two (a stat, then the
    attributes).
  - New content is written to a file beside O(dest), checked with O(validate) when given, and renamed over
    O(dest) only when the check passes, so a reader never sees half a file and a refused file never replaces
    a working one.
  - Check mode writes nothing and reports what would change; with diff mode the result holds the old and new
    content.
  - The module writes no record of its arguments to the managed host's journal (the content may be long).
    Give a secret file's task C(no_log) as usual.
options:
  dest:
    description: The file to write (its directory must exist).
    type: path
    required: true
  content:
    description: What the file holds.
    type: str
    required: true
  owner:
    description: The file's owner (name).
    type: str
    default: root
  group:
    description: The file's group (name).
    type: str
    default: root
  mode:
    description: The file's mode, as an octal string such as C("0644").
    type: str
    required: true
  validate:
    description: A command that checks the new file before it is put in place; C(%s) stands for its path. It
      runs without a shell.
    type: str
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Write the main configuration
  webstack.tiers.config_file:
    dest: /etc/nginx/nginx.conf
    content: "{{ lookup('ansible.builtin.template', 'etc/nginx/nginx.conf.j2') }}"
    mode: "0644"
    validate: /usr/local/sbin/webstack-nginx-configtest %s /etc/nginx/nginx.conf
  notify: Reload nginx
"""

RETURN = r"""
content_changed:
  description: Whether the content differed (an owner or mode change alone leaves it false).
  type: bool
  returned: always
"""

import os
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.tiers.plugins.module_utils.staged_file import (
    numeric_attributes, set_attributes, stage_beside,
)


def read_current(path):
    """The bytes of the regular file at path, or None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError):
        return None


def diff_text(data, path):
    """What diff mode shows of data: the text, or a note when it is binary."""
    if data is None:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return f"(binary content of {path})\n"


class QuietModule(AnsibleModule):
    """An AnsibleModule that writes no "Invoked with" line to the managed host's journal: the content is a whole
    file, logged again on every run. (AnsibleModule's own no_log switch is overridden by the task's.)"""

    def _log_invocation(self):
        pass


def main():
    module = QuietModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "content": {"type": "str", "required": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str", "required": True},
            "validate": {"type": "str"},
        },
        supports_check_mode=True,
    )
    dest, validate = module.params["dest"], module.params["validate"]
    content = module.params["content"].encode("utf-8")
    try:
        mode, uid, gid = numeric_attributes(module.params["mode"], module.params["owner"], module.params["group"])
    except (ValueError, KeyError) as error:
        module.fail_json(msg=f"config_file: bad mode, owner or group for {dest}: {error}")
    if validate and "%s" not in validate:
        module.fail_json(msg=f"config_file: validate must contain %s (the new file's path): {validate}")

    current = read_current(dest)
    content_changed = current != content
    attributes_changed = not content_changed and set_attributes(dest, mode, module.check_mode, uid, gid)

    if content_changed and not module.check_mode:
        try:
            staged = stage_beside(dest, content, mode, uid, gid)
        except OSError as error:
            module.fail_json(msg=f"config_file: cannot write beside {dest}: {error}")
        try:
            if validate:
                rc, out, err = module.run_command([part.replace("%s", staged) for part in shlex.split(validate)])
                if rc != 0:
                    module.fail_json(msg=f"config_file: {dest} not written, the check failed: {validate}",
                                     rc=rc, stdout=out, stderr=err)
            os.replace(staged, dest)
        finally:
            if os.path.lexists(staged):
                os.unlink(staged)

    result = {"changed": content_changed or attributes_changed, "content_changed": content_changed}
    if module._diff and content_changed:
        result["diff"] = {"before_header": dest, "after_header": dest,
                          "before": diff_text(current, dest), "after": diff_text(content, dest)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
