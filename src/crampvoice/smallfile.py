"""A person's small files (scripts, settings): read without ever waiting on a pipe or device,
and written without ever replacing one unasked."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .core.errors import CrampvoiceError


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


def write_new(path: Path, data: bytes, replace: bool = False, other_name: str = "choose another name") -> None:
    """Write a file that does not exist yet (or any, with `replace`); CrampvoiceError if it exists."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb" if replace else "xb") as out:
            out.write(data)
    except FileExistsError:
        raise CrampvoiceError(f"{path} already exists, and was left as it is", other_name) from None
    except OSError as e:
        raise CrampvoiceError(f"cannot write {path} ({e.strerror or e})",
                              "check that the folder can be written") from None
