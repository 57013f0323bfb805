"""An app's code on the controller: its key (which files it has and what each of them holds), and its text.

    {{ '/srv/apps/shop' | webstack.tiers.code_key }}  -> '3f5c...' (64 hex digits)
    {{ '/srv/apps/shop' | webstack.tiers.code_texts('/opt/shop/app') }}
        -> [{'dest': '/opt/shop/app/shop/main.py', 'content': '...'}, ...]

code_key: every regular file under the directory, hidden ones too, as "relative/path sha1-of-its-content"; links
are not followed and bytecode in __pycache__ is left out. The entries, sorted without regard to case, joined by
single spaces and hashed with SHA-256 make the key: the same code gives the same key on every controller, and
the uvicorn role makes a release's id from it. It runs in the controller's templating, with no module call.

code_texts: the same files with their text and where each goes under a directory on the host, when the code is
small text that one module call (config_file's files) can carry (the bundled app, most apps); None when it is
not: a file that is not UTF-8, a link, an empty directory, or more than the limit (bytes, 1 MiB by default) in
all. The uvicorn role then copies the directory file by file.
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


def _walk(root, caller):
    """os.walk of the code under root, which must be a directory on the controller, without bytecode."""
    if not os.path.isdir(root):
        raise AnsibleFilterError(f"{caller}: {root} is not a directory on the controller")
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        yield directory, subdirectories, names


def code_key(root):
    """The SHA-256 key of the regular files under root (see the module's text)."""
    entries = []
    for directory, _, names in _walk(root, "code_key"):
        for name in names:
            path = os.path.join(directory, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            entries.append(f"{os.path.relpath(path, root)} {_sha1(path)}")
    return hashlib.sha256(" ".join(sorted(entries, key=str.lower)).encode("utf-8")).hexdigest()


def code_texts(root, into, limit=1 << 20):
    """[{'dest': its path under into, 'content': text}] of the code under root, or None (see the module's text)."""
    files, size = [], 0
    for directory, subdirectories, names in _walk(root, "code_texts"):
        if not names and not subdirectories:
            return None
        for name in subdirectories + names:
            path = os.path.join(directory, name)
            mode = os.lstat(path).st_mode
            if not (stat.S_ISDIR(mode) if name in subdirectories else stat.S_ISREG(mode)):
                return None
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                data = handle.read(limit - size + 1)
            size += len(data)
            if size > limit:
                return None
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return None
            files.append({"dest": os.path.join(into, os.path.relpath(path, root)), "content": text})
    return sorted(files, key=lambda entry: entry["dest"])


class FilterModule:
    def filters(self):
        return {"code_key": code_key, "code_texts": code_texts}
