"""SFTP file operations: asyncssh's local-file server, with every request checked and journalled first.

Each override resolves the path in the account's home and checks the folder's right through the session
(see :meth:`mockpartners.session.Session.operation`), then lets asyncssh do the file work. A refusal is
SFTP status 3 "Permission denied": what WinSCP reports as "Request code: 18" for a RENAME and
"Request code: 9" for a SETSTAT.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import asyncssh

from ...config import Right
from ...session import Operation, Session
from ...storage import AccessRefused, Location

if TYPE_CHECKING:
    from ._auth import SshConnection

__all__ = ["SftpFiles"]

_WRITE_FLAGS = asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
_WIRE_ERRORS: dict[str, Callable[[str], asyncssh.SFTPError]] = {
    "permission": asyncssh.SFTPPermissionDenied,
    "not_found": asyncssh.SFTPNoSuchFile,
    "invalid_name": asyncssh.SFTPInvalidFilename,
}
_OPEN_FLAGS = {
    "read": asyncssh.FXF_READ,
    "write": asyncssh.FXF_WRITE,
    "append": asyncssh.FXF_APPEND,
    "create": asyncssh.FXF_CREAT,
    "truncate": asyncssh.FXF_TRUNC,
    "exclusive": asyncssh.FXF_EXCL,
}
_WIRE_MESSAGES = {
    "permission": "Permission denied",
    "not_found": "No such file",
    "invalid_name": "Invalid filename",
}


class OpenFile:
    """An open handle with its byte counts: writes are summed here and journalled once, at close."""

    __slots__ = ("bytes_read", "bytes_written", "file", "location", "reads", "writes", "writing")

    def __init__(self, file: BinaryIO, location: Location, writing: bool) -> None:
        self.file = file
        self.location = location
        self.writing = writing
        self.bytes_read = self.bytes_written = self.reads = self.writes = 0


_Result = TypeVar("_Result")


async def _after(delay: float, value: _Result) -> _Result:
    await asyncio.sleep(delay)
    return value


def _paced(method: Callable[..., _Result]) -> Callable[..., _Result | Awaitable[_Result]]:
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


def _attributes(attrs: asyncssh.SFTPAttrs) -> dict[str, Any]:
    names = ("size", "uid", "gid", "permissions", "atime", "mtime")
    return {name: getattr(attrs, name) for name in names if getattr(attrs, name, None) is not None}


class SftpFiles(asyncssh.SFTPServer):
    """The SFTP subsystem of one channel, bound to its connection's session."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], connection: SshConnection) -> None:
        super().__init__(chan)
        self.ssh = connection
        connection.sftp_channels += 1
        assert connection.session is not None
        self.session: Session = connection.session
        self._open: set[OpenFile] = set()
        self._exited = False

    def watch(self, handler: asyncio.Task[Any]) -> None:
        """Finish what asyncssh's SFTP handler task leaves when it dies without its cleanup.

        It does when the connection is lost while it had paused reading (a client sending faster than the
        partner writes): an AssertionError in asyncssh's flow control ends the task, and the files it held
        would never be closed, nor the session ended, nor the upload counted as finished.
        """
        handler.add_done_callback(lambda _: self._abandoned())

    def _abandoned(self) -> None:
        if self._exited:
            return
        for handle in list(self._open):
            self._close(handle, "the connection was lost before the client closed the file")
        self.exit()

    @contextmanager
    def _operation(
        self, kind: str, path: bytes | str, right: Right | None = None, **detail: Any
    ) -> Iterator[Operation]:
        try:
            with self.session.operation(kind, path, right, **detail) as operation:
                yield operation
        except AccessRefused as refusal:
            raise _WIRE_ERRORS[refusal.kind](_WIRE_MESSAGES[refusal.kind]) from None

    # -- path mapping used by asyncssh's own implementations ----------------------------------------------

    def map_path(self, path: bytes) -> bytes:
        try:
            return os.fsencode(self.session.resolve(path).real)
        except AccessRefused as refusal:
            raise _WIRE_ERRORS[refusal.kind](_WIRE_MESSAGES[refusal.kind]) from None

    def reverse_map_path(self, path: bytes) -> bytes:
        try:
            home = self.session.home
            assert home is not None
            return home.location(os.fsdecode(path)).virtual.encode()  # type: ignore[arg-type]
        except AccessRefused:
            raise asyncssh.SFTPNoSuchFile("No such file") from None

    # -- files --------------------------------------------------------------------------------------------

    @_paced
    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> OpenFile:
        writing = bool(pflags & _WRITE_FLAGS)
        mode = "write" if writing else "read"
        flags = [name for name, bit in _OPEN_FLAGS.items() if pflags & bit]
        with self._operation("fs.open", path, "write" if writing else "read", mode=mode, flags=flags) as op:
            file = super().open(path, pflags, attrs)
        if writing:
            self.session.upload_started(op.location)
        handle = OpenFile(file, op.location, writing)  # type: ignore[arg-type]
        self._open.add(handle)
        return handle

    def read(self, file_obj: object, offset: int, size: int) -> bytes | Awaitable[bytes]:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        handle.file.seek(offset)
        data = handle.file.read(size)
        handle.reads += 1
        handle.bytes_read += len(data)
        return self._moved(len(data), data)

    def write(self, file_obj: object, offset: int, data: bytes) -> int | Awaitable[int]:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        failure = self.session.faults.write_failure()
        if failure == "disk-full":
            raise OSError(errno.ENOSPC, "No space left on device")
        if failure is not None:
            raise asyncssh.SFTPFailure("Failure")
        handle.file.seek(offset)
        written = handle.file.write(data)
        handle.writes += 1
        handle.bytes_written += written
        return self._moved(written, written)

    def _moved(self, size: int, result: _Result) -> _Result | Awaitable[_Result]:
        """Count data for the byte-triggered scenarios, and pace it for ``latency`` and ``bandwidth``."""
        faults = self.session.faults
        action = faults.moved_bytes(size)
        if action == "disconnect":
            self.connection.abort()
        elif action == "restart":
            asyncio.get_running_loop().create_task(self.ssh.endpoint.restart())
        delay = faults.reply_delay() + faults.transfer_delay(size)
        return _after(delay, result) if delay else result

    @_paced
    def close(self, file_obj: object) -> None:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        self._close(handle, self._unclosed_reason())

    def _close(self, handle: OpenFile, unclosed: str) -> None:
        """Close a handle; ``unclosed`` says why the client never closed it ("" when it did)."""
        self._open.discard(handle)
        requests = handle.reads + handle.writes
        if not handle.writing:
            with self._operation(
                "fs.close",
                handle.location.virtual,
                mode="read",
                bytes_read=handle.bytes_read,
                requests=requests,
                complete=not unclosed,
            ):
                handle.file.close()
            return
        complete = not unclosed
        reason = {"reason": unclosed} if unclosed else {}
        try:
            handle.file.close()
        except OSError as error:
            complete, reason = False, {"reason": f"closing failed: {error.strerror}"}
            raise
        finally:
            self.session.upload_ended(
                handle.location,
                complete=complete,
                bytes_written=handle.bytes_written,
                requests=requests,
                **reason,
            )

    def _unclosed_reason(self) -> str:
        """Why the file closed now was never closed by the client ("" when the client closed it).

        asyncssh closes the files a client left open when the connection is lost, and also when the client
        ends the SFTP channel cleanly: a killed OpenSSH ``sftp`` leaves its ``ssh`` child to send EOF. The
        channel's end is seen on its stream (asyncssh offers no public way to ask); a client that sends
        CLOSE and ends the channel without waiting for the reply counts as not having closed its file.
        """
        if self.session.lost:
            return "the connection was lost before the client closed the file"
        at_eof = getattr(getattr(self.channel, "_session", None), "at_eof", None)
        if callable(at_eof) and at_eof(None):
            return "the client ended its SFTP channel without closing the file"
        return ""

    @_paced
    def fstat(self, file_obj: object) -> os.stat_result:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        return os.fstat(handle.file.fileno())

    @_paced
    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        with self._operation(
            "fs.setstat", handle.location.virtual, "setstat", handle=True, **_attributes(attrs)
        ):
            super().fsetstat(handle.file, attrs)

    @_paced
    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._operation("fs.setstat", path, "setstat", **_attributes(attrs)):
            super().setstat(path, attrs)

    @_paced
    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._operation("fs.setstat", path, "setstat", nofollow=True, **_attributes(attrs)):
            super().lsetstat(path, attrs)

    @_paced
    def stat(self, path: bytes) -> os.stat_result:
        with self._operation("fs.stat", path) as op:
            return os.stat(op.location.real)

    @_paced
    def lstat(self, path: bytes) -> os.stat_result:
        with self._operation("fs.stat", path, nofollow=True) as op:
            return os.lstat(op.location.real)

    # -- folders ------------------------------------------------------------------------------------------

    def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        """Checked at OPENDIR time, as real servers refuse a listing there, not at the first READDIR."""
        with self._operation("fs.list", path, "list") as op:
            names = [".", "..", *sorted(os.listdir(op.location.real))]
            op.detail["entries"] = len(names) - 2
        return self._names(op.location, names)

    async def _names(self, folder: Location, names: list[str]) -> AsyncIterator[asyncssh.SFTPName]:
        delay = self.session.faults.reply_delay()
        if delay:
            await asyncio.sleep(delay)
        for name in names:
            if name == "." or (name == ".." and folder.is_root):
                real = folder.real
            else:
                real = folder.real.parent if name == ".." else folder.real / name
            try:
                attrs = asyncssh.SFTPAttrs.from_local(os.lstat(real))
            except OSError:
                continue  # removed while listing
            yield asyncssh.SFTPName(os.fsencode(name), attrs=attrs)

    @_paced
    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._operation("fs.mkdir", path, "mkdir"):
            super().mkdir(path, attrs)

    @_paced
    def rmdir(self, path: bytes) -> None:
        with self._operation("fs.rmdir", path, "delete"):
            super().rmdir(path)

    @_paced
    def remove(self, path: bytes) -> None:
        with self._operation("fs.remove", path, "delete"):
            super().remove(path)

    @_paced
    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        with self._rename(oldpath, newpath, posix=False):
            super().rename(oldpath, newpath)

    @_paced
    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        with self._rename(oldpath, newpath, posix=True):
            super().posix_rename(oldpath, newpath)

    @contextmanager
    def _rename(self, oldpath: bytes, newpath: bytes, *, posix: bool) -> Iterator[None]:
        try:
            with self.session.operation("fs.rename", oldpath, "rename", target=newpath, posix=posix) as op:
                yield
                if op.target is not None and os.path.isfile(op.target.real):
                    op.arrived = op.target
        except AccessRefused as refusal:
            raise _WIRE_ERRORS[refusal.kind](_WIRE_MESSAGES[refusal.kind]) from None

    @_paced
    def realpath(self, path: bytes) -> bytes:
        with self._operation("fs.realpath", path) as op:
            op.detail["resolved"] = op.location.virtual
            return op.location.virtual.encode()

    @_paced
    def readlink(self, path: bytes) -> bytes:
        with self._operation("fs.readlink", path):
            return super().readlink(path)  # type: ignore[return-value]

    @_paced
    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        with self._operation("fs.symlink", newpath, "write", link_target=oldpath.decode("utf-8", "replace")):
            raise AccessRefused("links cannot be created on this server")

    @_paced
    def link(self, oldpath: bytes, newpath: bytes) -> None:
        with self._operation("fs.link", newpath, "write", link_target=oldpath.decode("utf-8", "replace")):
            raise AccessRefused("links cannot be created on this server")

    def exit(self) -> None:
        if not self._exited:
            self._exited = True
            self.ssh.sftp_exited()
