"""Reading a person's small files (scripts, settings) without ever waiting on a pipe or device."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def read_regular(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file.

    A FIFO, device or socket raises OSError at once: opened without blocking and refused before
    any read, so a FIFO given as a script, or lying in the scripts folder, cannot hang the program.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "that is a folder, not a file", str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "it is a pipe, device or socket, not a file", str(path))
        return f.read(limit)
