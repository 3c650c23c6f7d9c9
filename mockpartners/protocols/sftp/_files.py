"""SFTP file operations: asyncssh's local-file server, with every request checked and journalled first.

Each override resolves the path in the account's home and checks the folder's right through the session
(see :meth:`mockpartners.ports.session.Session.operation`), then lets asyncssh do the file work. Writes
that add bytes or entries are charged to the account first (profile ``limits``): a client that fills the
partner's disk meets "Disk quota exceeded" long before the host does.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import asyncssh

from ...infra.limits import StorageRefused
from ...model.loading import Right
from ...ports.session import Operation, Session
from ...ports.storage import AccessRefused, Location
from ...scenarios import names
from ._handles import OpenFile, access_error, after, attributes, open_flags, open_rights, paced, storage_error

if TYPE_CHECKING:
    from ._auth import SshConnection

__all__ = ["SftpFiles"]

_Result = TypeVar("_Result")


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
            raise access_error(refusal) from None
        except StorageRefused as refusal:
            raise storage_error(refusal) from None

    # -- path mapping used by asyncssh's own implementations ----------------------------------------------

    def map_path(self, path: bytes) -> bytes:
        try:
            return os.fsencode(self.session.resolve(path).real)
        except AccessRefused as refusal:
            raise access_error(refusal) from None

    def reverse_map_path(self, path: bytes) -> bytes:
        try:
            home = self.session.home
            assert home is not None
            return home.location(os.fsdecode(path)).virtual.encode()  # type: ignore[arg-type]
        except AccessRefused:
            raise asyncssh.SFTPNoSuchFile("No such file") from None

    # -- files --------------------------------------------------------------------------------------------

    @paced
    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> OpenFile:
        """Reading needs the read right whatever else the open asks (``r+`` in a write-only folder used to
        return the file's content); any write flag needs the write right; a new file counts as one."""
        rights = open_rights(pflags)
        writing = "write" in rights
        mode = "write" if writing else "read"
        with self._operation("fs.open", path, rights[0], mode=mode, flags=open_flags(pflags)) as op:
            for right in rights[1:]:
                self._home_check(right, op.location)
            if pflags & asyncssh.FXF_CREAT and not os.path.lexists(op.location.real):
                self.session.reserve_storage(op.location, 0, new_files=1)
            file = super().open(path, pflags, attrs)
        if writing:
            self.session.upload_started(op.location)
        handle = OpenFile(file, op.location, reading="read" in rights, writing=writing)  # type: ignore[arg-type]
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
        if failure == names.DISK_FULL:
            handle.failed = "a write failed: no space left on device (scenario disk-full)"
            raise OSError(errno.ENOSPC, "No space left on device")
        if failure is not None:
            handle.failed = "a write failed (scenario fail-nth-write or fail-writes)"
            raise asyncssh.SFTPFailure("Failure")
        if handle.writing:
            try:
                self._charge(handle, offset + len(data))
            except StorageRefused as refusal:
                raise storage_error(refusal) from None
        handle.file.seek(offset)
        written = handle.file.write(data)
        handle.writes += 1
        handle.bytes_written += written
        handle.size = max(handle.size, offset + written)
        return self._moved(written, written)

    def _charge(self, handle: OpenFile, size: int | None) -> None:
        """Charge the account for what making the file ``size`` bytes long adds (nothing if it does not
        grow), or raise :class:`StorageRefused`; a refused write makes the upload incomplete."""
        if size is None or size <= handle.size:
            return
        try:
            self.session.reserve_storage(handle.location, size - handle.size)
        except StorageRefused as refusal:
            handle.refused = refusal
            raise
        handle.size = size

    def _moved(self, size: int, result: _Result) -> _Result | Awaitable[_Result]:
        """Count data for the byte-triggered scenarios, and pace it for ``latency`` and ``bandwidth``."""
        faults = self.session.faults
        action = faults.moved_bytes(size)
        if action == "disconnect":
            self.connection.abort()
        elif action == "restart":
            self.ssh.endpoint.restart_soon()
        delay = faults.reply_delay() + faults.transfer_delay(size)
        return after(delay, result) if delay else result

    @paced
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
        if handle.refused is not None:
            unclosed = f"a write was refused: {handle.refused.reason}"
        elif handle.failed:
            unclosed = handle.failed
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

    @paced
    def fstat(self, file_obj: object) -> os.stat_result:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        return os.fstat(handle.file.fileno())

    @paced
    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        with self._operation(
            "fs.setstat", handle.location.virtual, "setstat", handle=True, **attributes(attrs)
        ):
            self._charge(handle, attrs.size)
            super().fsetstat(handle.file, attrs)

    @paced
    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._operation("fs.setstat", path, "setstat", **attributes(attrs)) as op:
            self._charge_path(op.location, attrs.size, os.stat)
            super().setstat(path, attrs)

    @paced
    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._operation("fs.setstat", path, "setstat", nofollow=True, **attributes(attrs)) as op:
            self._charge_path(op.location, attrs.size, os.lstat)
            super().lsetstat(path, attrs)

    def _charge_path(
        self, location: Location, size: int | None, stat: Callable[[Path], os.stat_result]
    ) -> None:
        """A SETSTAT that makes a file longer is charged like the write that would (a truncate beyond the
        end takes no disk at once, but counts in the file's size and so in the quota)."""
        if size is not None:
            self.session.reserve_storage(location, max(0, size - stat(location.real).st_size))

    @paced
    def stat(self, path: bytes) -> os.stat_result:
        with self._operation("fs.stat", path) as op:
            return os.stat(op.location.real)

    @paced
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

    @paced
    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._operation("fs.mkdir", path, "mkdir") as op:
            self.session.reserve_storage(op.location, 0, new_files=1)
            super().mkdir(path, attrs)

    @paced
    def rmdir(self, path: bytes) -> None:
        with self._operation("fs.rmdir", path, "delete"):
            super().rmdir(path)

    @paced
    def remove(self, path: bytes) -> None:
        with self._operation("fs.remove", path, "delete"):
            super().remove(path)

    @paced
    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        with self._rename(oldpath, newpath, posix=False):
            super().rename(oldpath, newpath)

    @paced
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
            raise access_error(refusal) from None

    @paced
    def realpath(self, path: bytes) -> bytes:
        with self._operation("fs.realpath", path) as op:
            op.detail["resolved"] = op.location.virtual
            return op.location.virtual.encode()

    @paced
    def readlink(self, path: bytes) -> bytes:
        with self._operation("fs.readlink", path):
            return super().readlink(path)  # type: ignore[return-value]

    @paced
    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        with self._operation("fs.symlink", newpath, "write", link_target=oldpath.decode("utf-8", "replace")):
            raise AccessRefused("links cannot be created on this server")

    @paced
    def link(self, oldpath: bytes, newpath: bytes) -> None:
        with self._operation("fs.link", newpath, "write", link_target=oldpath.decode("utf-8", "replace")):
            raise AccessRefused("links cannot be created on this server")

    # -- extensions and limits (mockpartners.protocols.sftp._subsystem decides which are offered) --------

    @paced
    def statvfs(self, path: bytes) -> os.statvfs_result:
        with self._operation("fs.statvfs", path) as op:
            return os.statvfs(op.location.real)

    @paced
    def fstatvfs(self, file_obj: object) -> os.statvfs_result:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        with self._operation("fs.statvfs", handle.location.virtual, handle=True):
            return os.fstatvfs(handle.file.fileno())

    def fsync(self, file_obj: object) -> None:
        handle: OpenFile = file_obj  # type: ignore[assignment]
        handle.file.flush()
        os.fsync(handle.file.fileno())

    @contextmanager
    def copying(self, source_handle: object, target_handle: object, **detail: Any) -> Iterator[None]:
        """A ``copy-data`` request: a read of the source (read right) and a write of the target (write
        right), whose writes are charged to the quota and counted in the target's upload."""
        source: OpenFile = source_handle  # type: ignore[assignment]
        target: OpenFile = target_handle  # type: ignore[assignment]
        with self._operation(
            "fs.copy", target.location.virtual, "write", source=source.location.relative, **detail
        ):
            self._home_check("read", source.location)
            if not (source.reading and target.writing):
                raise AccessRefused("copy-data reads a handle opened to read and writes one opened to write")
            try:
                yield
            except asyncssh.SFTPError:
                if target.refused is not None:  # a write refused by the quota: journalled as a refusal
                    raise target.refused from None
                raise

    def _home_check(self, right: Right, location: Location) -> None:
        home = self.session.home
        assert home is not None, "files are opened after login"
        home.check(right, location)

    def exit(self) -> None:
        if not self._exited:
            self._exited = True
            self.ssh.sftp_exited()
