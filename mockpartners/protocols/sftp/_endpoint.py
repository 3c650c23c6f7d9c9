"""An SFTP endpoint of a partner: asyncssh listening with the partner's host keys and accounts."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import asyncssh

from ...config import SftpEndpoint
from ...endpoints import EndpointInfo, HostKeyInfo
from ...errors import PortInUseError
from ...partner import Partner
from ._auth import SshConnection
from ._files import SftpFiles

__all__ = ["SftpServer"]


class SftpServer:
    """Serves one ``protocol: sftp`` endpoint of a profile."""

    protocol = "sftp"

    def __init__(self, partner: Partner, name: str, spec: SftpEndpoint, host: str, port: int) -> None:
        if partner.ssh is None:
            raise RuntimeError("prepare the partner before serving it")
        self.partner = partner
        self.name = name
        self.spec = spec
        self.host = host
        self.requested_port = port
        self.port = port
        self.credentials = partner.ssh
        self._authorized = {
            username: {tuple(line.split()[:2]) for line in account.authorized}
            for username, account in self.credentials.accounts.items()
        }
        self._server: asyncssh.SSHAcceptor | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()

    def authorized(self, username: str) -> set[tuple[str, ...]]:
        """Public keys (algorithm, base64) that log in as ``username``."""
        return self._authorized.get(username, set())

    def has_account(self, username: str) -> bool:
        return username in self._authorized

    def check_password(self, username: str, password: str) -> str:
        """Why a password is refused ("" if accepted): no profile gives SFTP passwords yet."""
        return "wrong password"

    async def start(self) -> None:
        options: dict[str, Any] = {
            "server_host_keys": [pair.key for pair in self.credentials.host_keys],
            "sftp_factory": self._sftp_factory,
            "allow_scp": False,
            "login_timeout": 120,
        }
        if self.spec.banner:
            options["banner"] = self.spec.banner
        try:
            self._server = await asyncssh.create_server(
                lambda: SshConnection(self), self.host, self.requested_port, **options
            )
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"{self.partner.name} {self.name}: port {self.requested_port} on {self.host} is already "
                    "in use; stop what uses it, or choose another port (--ports ephemeral, or "
                    f"--set {self.partner.name}.endpoints.{self.name}.port=N)"
                ) from None
            raise PortInUseError(
                f"{self.partner.name} {self.name}: cannot listen on {self.host}:{self.requested_port}: "
                f"{error.strerror}"
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        connections = list(self.connections)
        for connection in connections:
            connection.disconnect(asyncssh.DISC_BY_APPLICATION, "server stopping")
        for connection in connections:
            await connection.wait_closed()

    def _sftp_factory(self, chan: asyncssh.SSHServerChannel[bytes]) -> SftpFiles:
        connection = chan.get_connection().get_owner()
        assert isinstance(connection, SshConnection)
        return SftpFiles(chan, connection)

    def info(self, known_hosts: Path | None = None) -> EndpointInfo:
        keys = tuple(
            HostKeyInfo(pair.algorithm, pair.bits, pair.sha256, pair.md5, str(pair.public_path))
            for pair in self.credentials.host_keys
        )
        return EndpointInfo(
            self.name,
            self.protocol,
            self.host,
            self.port,
            self.spec.port,
            keys,
            str(known_hosts) if known_hosts else None,
        )

    def reload_credentials(self) -> None:
        """Host keys change only at start (``--new-host-keys``): nothing to reload while serving."""

    def known_hosts_lines(self) -> list[str]:
        """OpenSSH known_hosts lines for this endpoint as it listens now."""
        host = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return [f"{host} {' '.join(pair.public_line.split()[:2])}" for pair in self.credentials.host_keys]
