"""A person's small files (scripts, settings): read without ever waiting on a pipe or device,
written whole or not at all, and their private folders kept private."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from .core.errors import CrampvoiceError

PRIVATE_DIR = 0o700  # health data: the data folder, and each person's folder in it


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


def why(e: OSError) -> str:
    """The system's reason in a few words, with a name too long for the system said so."""
    if e.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return str(e.strerror or e)


def write_new(path: Path, data: bytes, replace: bool = False, other_name: str = "choose another name") -> None:
    """Write a file that does not exist yet (or any, with `replace`); CrampvoiceError if it exists.

    The file appears whole or not at all: a full disk leaves no empty file to block the next try.
    An empty regular file (one an older crampvoice left so) holds nothing to lose, and is replaced.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with whole_file(path, replace=replace or _empty(path)) as out:
            out.write(data)
    except FileExistsError:
        raise CrampvoiceError(f"{path} already exists, and was left as it is", other_name) from None
    except OSError as e:
        hint = ("give a shorter name" if e.errno == errno.ENAMETOOLONG else
                "free some space on the disk, then try again" if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
                else "check that the folder can be written to")
        raise CrampvoiceError(f"cannot write {path} ({why(e)})", hint) from None


def _empty(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == 0


@contextmanager
def whole_file(target: Path, replace: bool = True) -> Iterator[BinaryIO]:
    """A file written beside `target` and put in its place only when complete; OSError as it happens.

    A file replaced keeps its permissions. Without `replace`, an existing target raises
    FileExistsError and is left as it is (a hard link puts the file in place without ever
    replacing one). Whatever fails, the partial file goes, and the target is as it was.
    """
    if not replace and os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "it already exists", str(target))
    partial = target.with_name(f".{target.name[:200]}.{os.getpid()}.part")
    out = open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), "wb")  # noqa: SIM115
    try:
        with out:
            yield out
        if replace:
            with suppress(FileNotFoundError):
                os.chmod(partial, stat.S_IMODE(os.stat(target).st_mode))
            os.replace(partial, target)
        else:
            _link_new(partial, target)
    finally:
        with suppress(OSError):
            out.close()
        with suppress(OSError):
            partial.unlink()


def _link_new(partial: Path, target: Path) -> None:
    """`partial` also as `target`, which must not exist; on a file system without links, renamed."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "it already exists", str(target)) from None
        os.replace(partial, target)


def private_folder(folder: Path, top: Path) -> Path:
    """`folder` made if need be, and it and each folder above it up to `top` usable by its owner only.

    A folder already there and wider (made by hand, or by an older crampvoice) is narrowed, keeping
    whatever its owner may do; one that cannot be narrowed (someone else's) is left as it is.
    """
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for each in (folder, *folder.parents):
        if each != top and top not in each.parents:
            break  # outside `top` (a diary given by path): no folder there is ours to narrow
        narrow(each)
        if each == top:
            break
    return folder


def narrow(path: Path) -> None:
    """Take away every permission of the group and of others; quietly nothing when it cannot."""
    with suppress(OSError):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & ~0o077)
