#!/usr/bin/python
"""Write files from content rendered on the controller, each checked and validated, in one module call."""

DOCUMENTATION = r"""
module: config_file
short_description: Keep files' content, owner and mode, in one call
description:
  - Makes O(dest) hold O(content) with the given owner, group and mode. The roles give it a template rendered
    on the controller (C(lookup('ansible.builtin.template', ...))), so a file that is already right costs one
    module call, where C(ansible.builtin.template) and C(ansible.builtin.copy) make two (a stat, then the
    attributes).
  - New content is written to a file beside O(dest), checked with O(validate) when given, and renamed over
    O(dest) only when the check passes, so a reader never sees half a file and a refused file never replaces
    a working one.
  - With O(files) instead of O(dest) and O(content), one call keeps several files, in their order, each checked
    with its own O(files[].validate) when it has one. Each is written the same way; the call stops at the first
    file it cannot write or whose check fails, and the files before it stay written.
  - With O(directory_mode), a file's missing directories are made first (owned by root); without it a missing
    directory fails the call.
  - Check mode writes nothing and reports what would change; with diff mode the result holds the old and new
    content.
  - The module writes no record of its arguments to the managed host's journal (the content may be long).
    Give a secret file's task C(no_log) as usual.
options:
  dest:
    description: The file to write (its directory must exist, unless O(directory_mode) is given). Give it or
      O(files).
    type: path
  content:
    description: What O(dest) holds; required with O(dest).
    type: str
  files:
    description: Several files to keep, each with its own O(files[].dest), O(files[].content) and, when it
      differs from O(mode), O(files[].mode). O(owner) and O(group) hold for all of them.
    type: list
    elements: dict
    suboptions:
      dest:
        description: The file to write (its directory must exist, unless O(directory_mode) is given).
        type: path
        required: true
      content:
        description: What the file holds.
        type: str
        required: true
      mode:
        description: The file's mode, when it is not O(mode).
        type: str
      validate:
        description: As O(validate), for this file.
        type: str
  owner:
    description: The file's owner (name).
    type: str
    default: root
  group:
    description: The file's group (name).
    type: str
    default: root
  mode:
    description: The file's mode, as an octal string such as C("0644"); required with O(dest).
    type: str
  directory_mode:
    description: The mode, as an octal string, of the directories this call makes where a file's directory is
      missing (they are owned by root). A directory that exists is left as it is.
    type: str
  validate:
    description: A command that checks the new O(dest) before it is put in place; C(%s) stands for its path. It
      runs without a shell. With O(files), each file has its own.
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

- name: Install the role's commands
  webstack.tiers.config_file:
    files:
      - {dest: /usr/local/sbin/webstack-nginx-configtest, content: "{{ lookup('ansible.builtin.file', 'configtest') }}"}
      - {dest: /usr/local/bin/webstack-release, content: "{{ lookup('ansible.builtin.file', 'release') }}"}
      - dest: /etc/nginx/nginx.conf
        content: "{{ lookup('ansible.builtin.template', 'etc/nginx/nginx.conf.j2') }}"
        mode: "0644"
        validate: /usr/local/sbin/webstack-nginx-configtest %s /etc/nginx/nginx.conf
    mode: "0755"
"""

RETURN = r"""
content_changed:
  description: Whether the content differed (an owner or mode change alone leaves it false); with O(files),
    whether it did for one of them.
  type: bool
  returned: always
changed_files:
  description: The files whose content, owner or mode was put right (in check mode, would be).
  type: list
  elements: str
  returned: always
"""

import os
import re
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


class NotWritten(Exception):
    """A file that was not written: the message, and what the result adds (the failed check's output)."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.details = details


def make_directories(path, mode):
    """Make the missing directories down to path with mode (a number; None makes none)."""
    if mode is None or os.path.isdir(path):
        return
    make_directories(os.path.dirname(path), mode)
    os.mkdir(path)
    os.chmod(path, mode)  # mkdir's mode passes through the umask


def keep(module, dest, content, mode, validate=None, directory_mode=None):
    """Make the file at dest hold content (str) with mode and the module's owner and group, through a staged file
    that validate checks first. (changed, content_changed, diff or None); NotWritten when it cannot."""
    try:
        mode, uid, gid = numeric_attributes(mode, module.params["owner"], module.params["group"])
    except (ValueError, KeyError) as error:
        raise NotWritten(f"config_file: bad mode, owner or group for {dest}: {error}") from error
    content = content.encode("utf-8")
    current = read_current(dest)
    content_changed = current != content
    attributes_changed = not content_changed and set_attributes(dest, mode, module.check_mode, uid, gid)

    if content_changed and not module.check_mode:
        try:
            make_directories(os.path.dirname(dest), directory_mode)
            staged = stage_beside(dest, content, mode, uid, gid)
        except OSError as error:
            raise NotWritten(f"config_file: cannot write beside {dest}: {error}") from error
        try:
            if validate:
                rc, out, err = module.run_command([part.replace("%s", staged) for part in shlex.split(validate)])
                if rc != 0:
                    raise NotWritten(f"config_file: {dest} not written, the check failed: {validate}",
                                     rc=rc, stdout=out, stderr=err)
            os.replace(staged, dest)
        finally:
            if os.path.lexists(staged):
                os.unlink(staged)

    diff = None
    if module._diff and content_changed:
        diff = {"before_header": dest, "after_header": dest,
                "before": diff_text(current, dest), "after": diff_text(content, dest)}
    return content_changed or attributes_changed, content_changed, diff


def main():
    entry = {"dest": {"type": "path", "required": True}, "content": {"type": "str", "required": True},
             "mode": {"type": "str"}, "validate": {"type": "str"}}
    module = QuietModule(
        argument_spec={
            "dest": {"type": "path"},
            "content": {"type": "str"},
            "files": {"type": "list", "elements": "dict", "options": entry},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str"},
            "validate": {"type": "str"},
            "directory_mode": {"type": "str"},
        },
        mutually_exclusive=[["files", "dest"], ["files", "content"], ["files", "validate"]],
        required_one_of=[["files", "dest"]],
        required_by={"dest": ["content", "mode"]},
        supports_check_mode=True,
    )
    params = module.params
    files = params["files"] if params["files"] is not None else [
        {"dest": params["dest"], "content": params["content"], "mode": None, "validate": params["validate"]}]
    directory_mode = params["directory_mode"]
    if directory_mode is not None:
        if not re.fullmatch("0?[0-7]{3}", directory_mode):
            module.fail_json(msg=f"config_file: directory_mode must be an octal mode such as 0755, not "
                                 f"{directory_mode}")
        directory_mode = int(directory_mode, 8)
    for item in files:
        if item["validate"] and "%s" not in item["validate"]:
            module.fail_json(msg=f"config_file: validate must contain %s (the new file's path): {item['validate']}")
        if not (item["mode"] or params["mode"]):
            module.fail_json(msg=f"config_file: no mode for {item['dest']}: give mode, or the file's own")

    changed_files, content_changed, diffs = [], False, []
    for item in files:
        try:
            changed, item_content_changed, diff = keep(
                module, item["dest"], item["content"], item["mode"] or params["mode"], item["validate"], directory_mode)
        except NotWritten as error:
            # The files before it are written: the result says which.
            module.fail_json(msg=str(error), changed=bool(changed_files), changed_files=changed_files,
                             **error.details)
        content_changed = content_changed or item_content_changed
        changed_files += [item["dest"]] if changed else []
        diffs += [diff] if diff else []

    result = {"changed": bool(changed_files), "content_changed": content_changed, "changed_files": changed_files}
    if diffs:
        result["diff"] = diffs if params["files"] is not None else diffs[0]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
