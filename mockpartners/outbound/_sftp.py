"""Lucca's client to a customer's SFTP server, with asyncssh, driven synchronously from the caller's thread.

asyncssh is asynchronous and the partner's scheduler runs jobs on a plain worker thread: each remote keeps its
own event loop (an ``asyncio.Runner``, ``asyncio.run``'s reusable form) for the life of the connection, so
it must not be used from a thread that already runs a loop. Nothing of the user's SSH setup is read (no
~/.ssh/config, agent, default keys or known_hosts): only what the customer gave Lucca.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Coroutine
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import asyncssh

from ..model._customer_server import CustomerServer
from ._errors import CLIENT_KEY_UNUSABLE, OutboundError
from ._host_keys import HostKeyCheck, fingerprint
from ._messages import Explain, said
from ._probes import wrong_type
from ._remote import LocalSink, Remote, RemoteEntry, split
from ._steps import Steps

__all__ = ["SftpRemote"]

T = TypeVar("T")
CHUNK = 256 * 1024
"""Bytes per read or write request batch: each must complete within the timeout (a transfer's silence)."""
_MISSING = (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath, asyncssh.SFTPNotADirectory)
_DENIED = (asyncssh.SFTPPermissionDenied, asyncssh.SFTPWriteProtect, asyncssh.SFTPCannotDelete)
_FULL = (asyncssh.SFTPNoSpaceOnFilesystem, asyncssh.SFTPQuotaExceeded)
_FULL_WORDS = ("space", "quota", "disk full")
"""SFTP version 3 (OpenSSH, and most servers) has no "disk full" code: a full disk is a plain Failure whose
text says so (mockpartners: "No space left on device")."""


class _Client(asyncssh.SSHClient):
    """Checks the host key, and tells how far the connection got: key exchange done, login begun."""

    def __init__(self, check: HostKeyCheck) -> None:
        self.check = check
        self.authenticating = False

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        return self.check.accept(key)

    def begin_auth(self, username: str) -> None:
        self.authenticating = True


class SftpRemote(Remote):
    """A logged-in SFTP session on a customer's server."""

    def __init__(self, server: CustomerServer, steps: Steps, known_hosts: Path) -> None:
        super().__init__(server, steps)
        self.explain = Explain(server)
        self._seconds = server.timeout.total_seconds()
        self._check = HostKeyCheck.prepare(server, known_hosts)
        self._runner = asyncio.Runner()
        self._connection: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._start()

    # -- connecting ---------------------------------------------------------------------------------------

    def _open(self) -> None:
        key = self._client_key()
        client = _Client(self._check)
        try:
            self._connection = self._run(self._connect(client, key))
        except Exception as error:
            raise self._connect_failed(error, client) from error
        self._connected()
        with self.steps.step("outbound.auth", self._translate) as found:
            found["method"] = self._method
            self._sftp = self._run(self._within(self._connection.start_sftp_client()))

    @property
    def _method(self) -> str:
        return "publickey" if self.server.private_key is not None else "password"

    def _client_key(self) -> asyncssh.SSHKey | None:
        if self.server.private_key is None:
            return None
        try:
            return asyncssh.read_private_key(self.server.private_key)
        except (OSError, ValueError, asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as error:
            raise self.steps.failed(
                "outbound.auth",
                OutboundError(
                    CLIENT_KEY_UNUSABLE,
                    f"the private key {self.server.private_key} cannot be used to log in ({said(error)}); "
                    "give the path of a readable OpenSSH or PEM private key without a passphrase",
                ),
            ) from None

    async def _connect(self, client: _Client, key: asyncssh.SSHKey | None) -> asyncssh.SSHClientConnection:
        return await asyncssh.connect(
            self.server.host,
            self.server.port,
            username=self.server.login,
            password=self.server.password,
            client_keys=[key] if key is not None else None,
            preferred_auth="publickey" if key is not None else "password,keyboard-interactive",
            known_hosts=self._check.trusted,
            client_factory=lambda: client,
            connect_timeout=self._seconds,
            config=None,
            agent_path=None,
            gss_host=None,
            x509_trusted_certs=None,
        )

    def _connected(self) -> None:
        """The key exchange proved the server holds its host key: pin it on first use, and say how it was
        trusted."""
        assert self._connection is not None
        key = self._connection.get_server_host_key()
        assert key is not None
        self.steps.ok("outbound.connect", host_key=fingerprint(key), trust=self._check.remember(key))

    def _connect_failed(self, error: Exception, client: _Client) -> Exception:
        """The events of a connection that did not log in, and what to raise."""
        if isinstance(error, asyncssh.HostKeyNotVerifiable):
            return self.steps.failed("outbound.connect", self._check.changed())
        if isinstance(error, asyncssh.KeyExchangeFailed) and self._check.pinned:
            return self.steps.failed("outbound.connect", self._check.no_common_algorithm(said(error.reason)))
        if not client.authenticating:
            looks_wrong = isinstance(error, asyncssh.DisconnectError | ConnectionError | TimeoutError)
            looks_wrong = looks_wrong and not isinstance(error, ConnectionRefusedError)
            found = wrong_type(self.server) if looks_wrong else None  # an FTP port, say
            return (
                self.steps.failed("outbound.connect", found)
                if found
                else self._failed("outbound.connect", error)
            )
        presented = self._check.presented or self._check.pinned[0]  # not asked about a pinned key
        self.steps.ok(
            "outbound.connect", host_key=fingerprint(presented), trust=self._check.remember(presented)
        )
        if isinstance(error, asyncssh.PermissionDenied):
            how = "private key" if self.server.private_key is not None else "password"
            return self.steps.failed(
                "outbound.auth", self.explain.login_refused(how, error.reason), method=self._method
            )
        return self._failed("outbound.auth", error)

    def _failed(self, kind: str, error: Exception) -> Exception:
        translated = self._translate(error, kind, None)
        return error if translated is None else self.steps.failed(kind, translated)

    # -- operations ---------------------------------------------------------------------------------------

    def _list(self, folder: str) -> list[RemoteEntry]:
        names = self._run(self._within(self._session.readdir(folder)))
        return [
            RemoteEntry(
                str(name.filename), name.attrs.size, name.attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY
            )
            for name in names
            if name.filename not in (".", "..")
        ]

    def _is_folder(self, folder: str) -> bool:
        try:
            attributes = self._run(self._within(self._session.stat(folder)))
        except _MISSING:
            return False
        return bool(attributes.type == asyncssh.FILEXFER_TYPE_DIRECTORY)

    def _write(self, data: BinaryIO, remote_path: str) -> None:
        self._run(self._upload(data, remote_path))

    async def _upload(self, data: BinaryIO, remote_path: str) -> None:
        file = await self._within(self._session.open(remote_path, "wb"))
        async with self._closing(file):
            offset = 0
            while chunk := data.read(CHUNK):
                await self._within(file.write(chunk, offset))
                offset += len(chunk)

    def _rename(self, old: str, new: str) -> None:
        """OpenSSH's posix-rename replaces an older file of the same name; plain SFTP rename refuses to."""
        try:
            self._run(self._within(self._session.posix_rename(old, new)))
        except asyncssh.SFTPOpUnsupported:
            self._run(self._within(self._session.rename(old, new)))

    def _read(self, remote_path: str, sink: LocalSink) -> None:
        self._run(self._download(remote_path, sink))

    async def _download(self, remote_path: str, sink: LocalSink) -> None:
        file = await self._within(self._session.open(remote_path, "rb"))
        async with self._closing(file):
            while chunk := await self._within(file.read(CHUNK, sink.size)):
                assert isinstance(chunk, bytes), "opened in binary mode"
                sink.write(chunk)

    def _delete(self, remote_path: str) -> None:
        self._run(self._within(self._session.remove(remote_path)))

    def _disconnect(self) -> None:
        with contextlib.suppress(Exception):
            if self._sftp is not None:
                self._sftp.exit()
            if self._connection is not None:
                self._connection.close()
                self._run(self._within(self._connection.wait_closed()))
        self._runner.close()

    # -- what the server's errors mean --------------------------------------------------------------------

    def _translate(self, error: BaseException, kind: str, path: str | None) -> OutboundError | None:
        if isinstance(error, asyncssh.SFTPError):
            return self._sftp_error(error, kind, path)
        if isinstance(error, asyncssh.PermissionDenied):
            return self.explain.login_refused(self._method, error.reason)
        if isinstance(error, asyncssh.ConnectionLost):
            return self.explain.connection_lost(kind, error.reason)
        if isinstance(error, asyncssh.DisconnectError | asyncssh.ChannelOpenError):
            return self.explain.protocol_error(kind, error.reason)
        return self.explain.network(error, kind)

    def _sftp_error(self, error: asyncssh.SFTPError, kind: str, path: str | None) -> OutboundError:
        reply = f"{error.reason} (SFTP status {error.code})"
        if isinstance(error, _MISSING):
            if kind in ("outbound.get", "outbound.delete"):
                return self.explain.file_missing(path, reply)
            folder = split(path)[0] if kind == "outbound.put" and path else path
            return self.explain.folder_missing(folder, reply)
        if isinstance(error, _DENIED):
            return self.explain.permission_denied(kind, path, reply)
        if isinstance(error, _FULL) or any(word in error.reason.lower() for word in _FULL_WORDS):
            return self.explain.disk_full(path, reply)
        if isinstance(error, asyncssh.SFTPConnectionLost | asyncssh.SFTPNoConnection):
            return self.explain.connection_lost(kind, reply)
        return self.explain.protocol_error(kind, reply)

    # -- the event loop -----------------------------------------------------------------------------------

    @property
    def _session(self) -> asyncssh.SFTPClient:
        assert self._sftp is not None, "the SFTP session is not open"
        return self._sftp

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    async def _within(self, awaitable: Awaitable[T]) -> T:
        """``awaitable``, or TimeoutError once the server's timeout has passed without an answer."""
        return await asyncio.wait_for(awaitable, self._seconds)

    @contextlib.asynccontextmanager
    async def _closing(self, file: asyncssh.SFTPClientFile) -> AsyncIterator[asyncssh.SFTPClientFile]:
        """Close the remote file after the transfer: an error closing it counts (a server may report a
        full disk only then), unless the transfer itself already failed."""
        try:
            yield file
        except BaseException:
            with contextlib.suppress(Exception):
                await self._within(file.close())
            raise
        await self._within(file.close())
