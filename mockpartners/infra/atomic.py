"""Files written whole and read as they are: what every partner-side write and state file goes through.

A file appears complete or not at all (written aside, then renamed into place), and the file written aside
is created exclusively under an unpredictable name, never through a link: a symbolic link planted in a
home (``IN/.x.xml.drop`` pointing outside) is replaced, never written through. Reads of files that clients
put in homes refuse links for the same reason.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..model.errors import StateError

__all__ = [
    "NotARegularFile",
    "load_or_create_secret",
    "open_regular",
    "write_atomically",
    "write_new",
    "writing_atomically",
]


class NotARegularFile(OSError):
    """A path that should hold a plain file holds a link, a folder or a device."""


@contextlib.contextmanager
def writing_atomically(
    target: Path, *, mode: int = 0o600, mtime: float | None = None, replace: bool = True
) -> Iterator[BinaryIO]:
    """A file to write that takes ``target``'s place when the block ends without error.

    ``replace=False`` keeps an existing ``target`` (the first writer wins, for credentials); ``mtime``
    dates the file (the partner's virtual clock).
    """
    # the name written aside stays within the 255-byte limit whatever the target's name
    hint = target.name.encode()[:64].decode("utf-8", "ignore")
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{hint}.", suffix=".tmp")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        if mtime is not None:
            os.utime(temporary, (mtime, mtime))
        if replace:
            os.replace(temporary, target)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def write_atomically(
    target: Path, data: bytes, *, mode: int = 0o600, mtime: float | None = None, replace: bool = True
) -> None:
    """Write ``data`` as ``target`` (see :func:`writing_atomically`)."""
    with writing_atomically(target, mode=mode, mtime=mtime, replace=replace) as handle:
        handle.write(data)


def open_regular(path: Path) -> BinaryIO:
    """Open a plain file for reading; a symbolic link (even to a plain file) or anything else is refused."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotARegularFile(f"{path} is not a plain file")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` with ``data`` (and its folder); if it exists (another process was first), keep what is
    there: credentials are never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, mode=mode, replace=False)


def load_or_create_secret(path: Path, what: str) -> str:
    """The secret kept in ``path`` (a passphrase, a sample password), made on first use: 24 hex digits,
    readable by this user only, never replaced once written."""
    if not path.exists():
        write_new(path, secrets.token_hex(12).encode() + b"\n", 0o600)
    try:
        with open_regular(path) as handle:
            secret = handle.read(1024).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"{path}: cannot read {what}: {error}") from None
    if not secret:
        raise StateError(f"{path} is empty: it should hold {what}; delete it to generate a new one")
    return secret
