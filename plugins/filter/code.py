"""The key of an app's code on the controller: which files it has and what each of them holds.

    {{ '/srv/apps/shop' | webstack.tiers.code_key }}  -> '3f5c...' (64 hex digits)

Every regular file under the directory, hidden ones too, as "relative/path sha1-of-its-content"; links are not
followed and bytecode in __pycache__ is left out. The entries, sorted without regard to case, joined by single
spaces and hashed with SHA-256 make the key: the same code gives the same key on every controller, and the
uvicorn role makes a release's id from it. It runs in the controller's templating, with no module call.
"""

import hashlib
import os
import stat

from ansible.errors import AnsibleFilterError


def _sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_key(root):
    """The SHA-256 key of the regular files under root (see the module's text)."""
    if not os.path.isdir(root):
        raise AnsibleFilterError(f"code_key: {root} is not a directory on the controller")
    entries = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if "/__pycache__/" in path or not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            entries.append(f"{os.path.relpath(path, root)} {_sha1(path)}")
    return hashlib.sha256(" ".join(sorted(entries, key=str.lower)).encode("utf-8")).hexdigest()


class FilterModule:
    def filters(self):
        return {"code_key": code_key}
