"""Atomic file writes: write a temporary file beside the target, fsync, then rename over it.

A crash or SIGKILL at any moment leaves either the old file or the complete new one at the
target path, never a half-written file (os.replace is atomic on POSIX and Windows).
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def missing_place(path: Path, shown: str, doing: str) -> str | None:
    """Why no file can be written at ``path`` (a folder is there, its folder does not exist), in
    one line naming ``shown`` and what was being done ("cannot save"), or None."""
    if path.is_dir():
        return f"{shown}: {doing}, it is a folder"
    if not path.parent.is_dir():
        return f"{shown}: {doing}, folder {path.parent} does not exist"
    return None


def not_replaceable(path) -> str | None:
    """Why the thing at ``path`` must not be replaced by a file (a symbolic link, a pipe, a
    device: renaming over /dev/null as root would delete the device), or None."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISREG(mode):
        return None
    kind = {stat.S_IFLNK: "a symbolic link", stat.S_IFDIR: "a folder", stat.S_IFIFO: "a pipe",
            stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}
    return f"{kind.get(stat.S_IFMT(mode), 'not a regular file')} is there; it is not replaced"


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """``with atomic_write(path) as f: f.write(...)``: the file appears whole or not at all.

    Replacing a file keeps its permission bits (a private 0600 file stays private) and, for
    root, its owner. Anything but a regular file at ``path`` raises OSError and stays."""
    path = Path(path)
    reason = not_replaceable(path)
    if reason:
        raise OSError(errno.EEXIST, reason, str(path))
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes files private: give the replaced file's mode, else the usual one
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask())
        if old and hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
