"""What the SFTP file operations share: open handles, the rights an open needs, and refusals on the wire.

A refusal of a folder's right is SFTP status 3 "Permission denied": what WinSCP reports as "Request code:
18" for a RENAME and "Request code: 9" for a SETSTAT. A write beyond the account's quota or the disk's
reserve is status 4 (SSH_FX_FAILURE, the only "disk full" SFTP version 3 has) with the system's own words,
"Disk quota exceeded" or "No space left on device".
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import asyncssh

from ...infra.limits import StorageRefused
from ...model.loading import Right
from ...ports.storage import AccessRefused, Location

if TYPE_CHECKING:
    from ._files import SftpFiles

__all__ = [
    "OpenFile",
    "access_error",
    "after",
    "attributes",
    "open_flags",
    "open_rights",
    "paced",
    "storage_error",
]

_WRITE_FLAGS = asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
_OPEN_FLAGS = {
    "read": asyncssh.FXF_READ,
    "write": asyncssh.FXF_WRITE,
    "append": asyncssh.FXF_APPEND,
    "create": asyncssh.FXF_CREAT,
    "truncate": asyncssh.FXF_TRUNC,
    "exclusive": asyncssh.FXF_EXCL,
}
_ACCESS_ERRORS: dict[str, tuple[Callable[[str], asyncssh.SFTPError], str]] = {
    "permission": (asyncssh.SFTPPermissionDenied, "Permission denied"),
    "not_found": (asyncssh.SFTPNoSuchFile, "No such file"),
    "invalid_name": (asyncssh.SFTPInvalidFilename, "Invalid filename"),
}
_STORAGE_MESSAGES = {
    "quota": "Disk quota exceeded",
    "files": "Disk quota exceeded",
    "disk": "No space left on device",
}


class OpenFile:
    """An open handle with its byte counts: writes are summed here and journalled once, at close.

    ``size`` is the file's size as this handle knows it, so that a write is charged to the account's quota
    for the bytes it adds, not the ones it overwrites; ``refused`` is the refusal of a write by a limit and
    ``failed`` why a write failed otherwise (a fault scenario): either way the upload is then incomplete,
    and never processed.
    """

    __slots__ = (
        "bytes_read",
        "bytes_written",
        "failed",
        "file",
        "location",
        "reading",
        "reads",
        "refused",
        "size",
        "writes",
        "writing",
    )

    def __init__(self, file: BinaryIO, location: Location, *, reading: bool, writing: bool) -> None:
        self.file = file
        self.location = location
        self.reading = reading
        self.writing = writing
        self.size = os.fstat(file.fileno()).st_size
        self.refused: StorageRefused | None = None
        self.failed = ""
        self.bytes_read = self.bytes_written = self.reads = self.writes = 0


def open_rights(pflags: int) -> tuple[Right, ...]:
    """The rights an SFTP open needs: read to read (whatever else it asks), write for any write flag.

    An open that asks neither reads, as the file is then opened read-only.
    """
    writing = bool(pflags & _WRITE_FLAGS)
    reading = bool(pflags & asyncssh.FXF_READ) or not writing
    return (*(("write",) if writing else ()), *(("read",) if reading else ()))


def open_flags(pflags: int) -> list[str]:
    """The open flags by name, for the journal."""
    return [name for name, bit in _OPEN_FLAGS.items() if pflags & bit]


def access_error(refusal: AccessRefused) -> asyncssh.SFTPError:
    kind, message = _ACCESS_ERRORS[refusal.kind]
    return kind(message)


def storage_error(refusal: StorageRefused) -> asyncssh.SFTPError:
    return asyncssh.SFTPFailure(_STORAGE_MESSAGES[refusal.kind])


def attributes(attrs: asyncssh.SFTPAttrs) -> dict[str, Any]:
    """The attributes a SETSTAT sets, for the journal."""
    names = ("size", "uid", "gid", "permissions", "atime", "mtime")
    return {name: getattr(attrs, name) for name in names if getattr(attrs, name, None) is not None}


_Result = TypeVar("_Result")


async def after(delay: float, value: _Result) -> _Result:
    await asyncio.sleep(delay)
    return value


def paced(method: Callable[..., _Result]) -> Callable[..., _Result | Awaitable[_Result]]:
    """Scenario ``latency``: the reply comes later (asyncssh awaits what a request method returns)."""

    @functools.wraps(method)
    def paced(self: SftpFiles, *arguments: Any) -> _Result | Awaitable[_Result]:
        delay = self.session.faults.reply_delay()
        if not delay:
            return method(self, *arguments)

        async def later() -> _Result:
            await asyncio.sleep(delay)
            return method(self, *arguments)

        return later()

    return paced
