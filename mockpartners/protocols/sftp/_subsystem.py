"""The SFTP subsystem as the partner's server speaks it: the extensions its profile announces, and no more.

asyncssh's own SFTP server announces and serves ``copy-data``, ``hardlink@openssh.com``,
``ranges@asyncssh.com``, a ``vendor-id`` naming asyncssh and a ``newline``: the last three no server of the
partners' kind sends, and ``copy-data`` let one request write 200 MB on the partner's disk (issue 9). Each
endpoint announces its profile's ``extensions`` (the guides name none); any other extended request is
journalled and answered SSH_FX_OP_UNSUPPORTED, as OpenSSH's sftp-server answers a name it does not know.
The handler also holds a connection's open handles, all its SFTP channels together, to
``limits.open_handles`` and reports the real limits in ``limits@openssh.com``.

asyncssh's ``sftp_factory`` option always starts asyncssh's handler class, so the connection hands out
:class:`SftpSubsystem` from :meth:`asyncssh.SSHServer.session_requested` instead; nothing of asyncssh is
changed for other servers in the process.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, cast

import asyncssh
from asyncssh.channel import SSHChannel
from asyncssh.constants import FXP_EXTENDED
from asyncssh.packet import PacketDecodeError, SSHPacket
from asyncssh.sftp import (
    MAX_SFTP_PACKET_LEN,
    MAX_SFTP_READ_LEN,
    MAX_SFTP_WRITE_LEN,
    SFTPLimits,
    SFTPServerHandler,
)
from asyncssh.stream import SSHServerStreamSession

from ._files import SftpFiles

if TYPE_CHECKING:
    from ._auth import SshConnection

__all__ = ["PartnerSftpHandler", "SftpSubsystem"]

_SFTP_VERSION = 3
"""What OpenSSH's sftp-server speaks, and asyncssh's server by default."""

_RequestHandler = Callable[[SFTPServerHandler, SSHPacket], Awaitable[object]]


def _peek_string(packet: SSHPacket) -> bytes:
    """The next string of a request, left in place for asyncssh's own parsing."""
    return SSHPacket(packet.get_remaining_payload()).get_string()


@functools.cache
def _requests(
    extensions: tuple[str, ...],
) -> tuple[frozenset[bytes], list[tuple[bytes, bytes]], dict[int | bytes, _RequestHandler | None]]:
    """What an endpoint with these extensions announces, and the request table its handlers answer from:
    made once per endpoint rather than per channel (asyncssh only reads them)."""
    versions = dict(SFTPServerHandler._extensions)
    announced = frozenset(name.encode() for name in extensions)
    # asyncssh's table holds asyncssh's functions: each is looked up again by name on this class, so
    # that the overrides below answer; extensions not announced are left out (OP_UNSUPPORTED)
    handlers: dict[int | bytes, _RequestHandler | None] = {
        request: cast(_RequestHandler, getattr(PartnerSftpHandler, handler.__name__))
        for request, handler in SFTPServerHandler._packet_handlers.items()
        if handler is not None and (isinstance(request, int) or request in announced)
    }
    return announced, [(name.encode(), versions[name.encode()]) for name in extensions], handlers


class PartnerSftpHandler(SFTPServerHandler):
    """asyncssh's SFTP request handler, with this endpoint's extensions and its connection's handle limit.

    The announced list and the request table are set on the instance, so asyncssh's class keeps its own.
    """

    def __init__(
        self,
        files: SftpFiles,
        reader: asyncssh.SSHReader[bytes],
        writer: asyncssh.SSHWriter[bytes],
        extensions: Sequence[str],
        open_handles: int,
    ) -> None:
        super().__init__(files, reader, writer, _SFTP_VERSION)
        self.files = files
        self.open_handles = open_handles
        self.announced, self._extensions, self._packet_handlers = _requests(tuple(extensions))

    async def _process_packet(self, pkttype: int, pktid: int, packet: SSHPacket) -> None:
        if pkttype == FXP_EXTENDED:
            try:
                name = _peek_string(packet)
            except PacketDecodeError:
                name = None  # asyncssh answers SSH_FX_BAD_MESSAGE
            if name is not None and name not in self.announced:
                self._journal_unsupported(name.decode("utf-8", "replace"))
        await super()._process_packet(pkttype, pktid, packet)

    def _journal_unsupported(self, name: str) -> None:
        """An extended request the server does not offer (asyncssh then answers OP_UNSUPPORTED)."""
        endpoint = self.files.ssh.endpoint.name
        reason = f"the server does not offer {name} (profile setting endpoints.{endpoint}.extensions)"
        self.files.session.record("fs.extension", outcome="refused", extension=name, reason=reason)

    async def _process_open(self, packet: SSHPacket) -> bytes:
        self._make_room("fs.open", packet)
        return await super()._process_open(packet)

    async def _process_opendir(self, packet: SSHPacket) -> bytes:
        self._make_room("fs.list", packet)
        return await super()._process_opendir(packet)

    @property
    def handles_in_use(self) -> int:
        return len(self._file_handles) + len(self._dir_handles)

    def _make_room(self, kind: str, packet: SSHPacket) -> None:
        """Refuse a new handle beyond ``limits.open_handles``: files and folder listings, counted over every
        SFTP channel of the connection (a client could otherwise open channels to multiply the limit)."""
        if sum(handler.handles_in_use for handler in self.files.ssh.sftp_handlers) < self.open_handles:
            return
        path = _peek_string(packet).decode("utf-8", "replace").lstrip("/")
        reason = (
            f"too many open files and folders ({self.open_handles} at once, profile setting "
            "limits.open_handles)"
        )
        self.files.session.record(kind, path, "refused", reason=reason, limit="open_handles")
        raise asyncssh.SFTPFailure(os.strerror(errno.EMFILE))  # "Too many open files", as sshd out of them

    async def _process_limits(self, packet: SSHPacket) -> SFTPLimits:
        """What this server really takes: asyncssh's packet sizes and the profile's handle limit."""
        packet.check_end()
        self.files.session.record("fs.limits", open_handles=self.open_handles)
        return SFTPLimits(MAX_SFTP_PACKET_LEN, MAX_SFTP_READ_LEN, MAX_SFTP_WRITE_LEN, self.open_handles)

    async def _process_copy_data(self, packet: SSHPacket) -> None:
        """Only when a profile announces it: a read of the source handle and a write of the target handle,
        with their rights, the account's quota and one journal event (``fs.copy``)."""
        request = SSHPacket(packet.get_remaining_payload())
        source = self._file_handles.get(request.get_string())
        offset, length = request.get_uint64(), request.get_uint64()
        target = self._file_handles.get(request.get_string())
        if source is None or target is None:
            raise asyncssh.SFTPInvalidHandle("Invalid file handle")
        with self.files.copying(source, target, offset=offset, length=length):
            await super()._process_copy_data(packet)


class SftpSubsystem(SSHServerStreamSession[bytes]):
    """The session of one channel: the ``sftp`` subsystem with our handler; no shell, exec or scp."""

    def __init__(self, connection: SshConnection) -> None:
        super().__init__(None)
        self.ssh = connection
        self._channel: asyncssh.SSHServerChannel[bytes] | None = None

    def connection_made(self, chan: SSHChannel[bytes]) -> None:
        super().connection_made(chan)
        assert isinstance(chan, asyncssh.SSHServerChannel)
        self._channel = chan

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == "sftp"

    def session_started(self) -> None:
        channel = self._channel
        assert channel is not None, "a channel is made before its session starts"
        files = SftpFiles(channel, self.ssh)
        reader = asyncssh.SSHReader[bytes](self, channel)
        writer = asyncssh.SSHWriter[bytes](self, channel)
        limits = self.ssh.endpoint.partner.profile.limits
        handler = PartnerSftpHandler(files, reader, writer, self.ssh.spec.extensions, limits.open_handles)
        reader.logger.info("Starting SFTP server")
        self.ssh.sftp_handlers.add(handler)
        task = channel.get_connection().create_task(handler.run(), reader.logger)
        task.add_done_callback(lambda _: self.ssh.sftp_handlers.discard(handler))
        files.watch(task)
