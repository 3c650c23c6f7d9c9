"""An SFTP endpoint of a partner: asyncssh listening with the partner's host keys and accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import asyncssh

from ...infra.endpoints import EndpointInfo, HostKeyInfo
from ...model.loading import SftpEndpoint
from ...ports.endpoint import EndpointPort
from ...scenarios import names
from ..base import AsyncioListener
from ._auth import SshConnection

__all__ = ["SftpServer"]


class SftpServer(AsyncioListener[SftpEndpoint]):
    """Serves one ``protocol: sftp`` endpoint of a profile, on the suite's asyncio loop."""

    protocol = "sftp"
    follows: ClassVar[frozenset[str]] = names.LISTENING | {names.HOST_KEY_CHANGED}

    def __init__(self, partner: EndpointPort, name: str, spec: SftpEndpoint, host: str, port: int) -> None:
        if partner.ssh is None:
            raise RuntimeError("prepare the partner before serving it")
        super().__init__(partner, name, spec, host, port)
        self.credentials = partner.ssh
        self._server: asyncssh.SSHAcceptor | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()

    async def _open(self, port: int) -> int:
        options: dict[str, Any] = {
            "server_host_keys": self._host_keys(),
            "encoding": None,  # channels carry bytes, with no line editor: SFTP is the only thing served
            "line_editor": False,
            "login_timeout": 120,
        }
        if self.spec.banner:
            options["banner"] = self.spec.banner
        self._server = await asyncssh.create_server(lambda: SshConnection(self), self.host, port, **options)
        return int(self._server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def disconnect(self, connection: asyncssh.SSHServerConnection, reason: str) -> None:
        """Disconnect one client (its account changed), from any thread."""

        async def disconnect() -> None:
            connection.disconnect(asyncssh.DISC_BY_APPLICATION, reason)

        self.submit(disconnect())

    async def _drop_connections(self, reason: str) -> None:
        connections = list(self.connections)
        for connection in connections:
            connection.disconnect(asyncssh.DISC_BY_APPLICATION, reason)
        for connection in connections:
            await connection.wait_closed()

    async def _scenarios_applied(self) -> None:
        """Scenario ``host-key-changed``: new connections get the other host keys."""
        if self._server is not None:
            self._server.update(server_host_keys=self._host_keys())

    def _host_keys(self) -> list[asyncssh.SSHKey]:
        if self.partner.scenarios.active(names.HOST_KEY_CHANGED) is not None:
            return [pair.key for pair in self.partner.changed_host_keys()]
        return [pair.key for pair in self.credentials.host_keys]

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

    def known_hosts_lines(self) -> list[str]:
        """OpenSSH known_hosts lines for this endpoint as it listens now."""
        host = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return [f"{host} {' '.join(pair.public_line.split()[:2])}" for pair in self.credentials.host_keys]
