"""Writing a file the way the collection's modules do: complete beside its place, then renamed or linked in.

    staged = stage_beside(path, content, 0o644)
    os.replace(staged, path)      # or check it first, or os.link it where only a new file may go

A file staged beside its place is on the same filesystem, so the rename or link is atomic: a reader sees the
old file or the new one, never half of either. mkstemp makes it 0600, so a key is never readable by others
while it is written; its final owner and mode are set before it is put in place.
"""

import grp
import os
import pwd
import tempfile


def numeric_attributes(mode, owner, group):
    """(mode, uid, gid) of an octal mode string and owner and group names; ValueError or KeyError when one is
    not an octal number or an existing user or group."""
    return int(mode, 8), pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid


def stage_beside(path, content, mode, uid=-1, gid=-1):
    """A new file in path's directory holding content (bytes) with mode, owned by uid:gid when given (else by
    whoever runs the module); returns its path. The caller puts it in place or removes it."""
    handle, staged = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".webstack-")
    try:
        with os.fdopen(handle, "wb") as staged_file:
            staged_file.write(content)
            os.fchown(staged_file.fileno(), uid, gid)
            os.fchmod(staged_file.fileno(), mode)
    except OSError:
        os.unlink(staged)
        raise
    return staged


def set_attributes(path, mode, check_mode, uid=0, gid=0):
    """Give the existing file at path the owner uid:gid and mode (not in check mode); True when they differed."""
    status = os.stat(path)
    if (status.st_uid, status.st_gid, status.st_mode & 0o7777) == (uid, gid, mode):
        return False
    if not check_mode:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True
