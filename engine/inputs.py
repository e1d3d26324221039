"""Reading an input file once, with a size cap, whatever sits at the path.

A regular file is read up to the cap. A pipe (``/dev/stdin``, ``<(...)``, a named FIFO) is read
ONCE, because what has been read from a pipe cannot be read again; it is opened without
blocking, so a named FIFO that nobody writes to reads as empty instead of hanging. Devices
(``/dev/zero``, a terminal) and sockets are refused: they have no end to read to.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import file_error
from .memory import format_size

_CHUNK = 1 << 20


def is_regular(path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def not_a_file(path, shown: str, kind: str) -> str | None:
    """Why ``path`` cannot be read as a ``kind`` (it is missing or a folder), in one line naming
    ``shown``; None when it can be tried."""
    path = Path(path)
    if not path.exists():
        return f"{shown}: no such file"
    if path.is_dir():
        return f"{shown}: is a folder, not a {kind}"
    return None


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_input(path, shown: str, limit: int, error) -> bytes:
    """The bytes at ``path`` (at most ``limit``); problems raise ``error(message, path=shown)``
    with a message naming ``shown``."""
    try:
        st = os.stat(path)
        mode = st.st_mode
        if stat.S_ISREG(mode):
            if st.st_size > limit:
                raise error(f"{shown}: the file is {format_size(st.st_size)}, more than the "
                            f"{format_size(limit)} allowed", path=shown)
            with open(path, "rb") as f:
                return _read_capped(f.fileno(), shown, limit, error)
        if not stat.S_ISFIFO(mode):
            raise error(f"{shown}: cannot read {kind_of(mode)}; give a regular file", path=shown)
        import fcntl  # POSIX only, like FIFOs

        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO with no writer: no hang
        try:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
            raw = _read_capped(fd, shown, limit, error)
        finally:
            os.close(fd)
        if not raw:
            raise error(f"{shown}: a pipe with nothing written to it", path=shown)
        return raw
    except OSError as e:
        raise error(file_error(shown, "cannot read the file", e), path=shown) from None


def _read_capped(fd: int, shown: str, limit: int, error) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise error(f"{shown}: more than the {format_size(limit)} allowed for this file",
                        path=shown)
