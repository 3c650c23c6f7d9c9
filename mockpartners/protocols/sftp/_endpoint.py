"""An SFTP endpoint of a partner: asyncssh listening with the partner's host keys and accounts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import asyncssh

from ...infra.endpoints import EndpointInfo, HostKeyInfo
from ...model.loading import SftpEndpoint
from ...ports.endpoint import EndpointPort
from ..base import bind_error, silent_listener
from ._auth import SshConnection

__all__ = ["SftpServer"]


class SftpServer:
    """Serves one ``protocol: sftp`` endpoint of a profile."""

    protocol = "sftp"

    def __init__(self, partner: EndpointPort, name: str, spec: SftpEndpoint, host: str, port: int) -> None:
        if partner.ssh is None:
            raise RuntimeError("prepare the partner before serving it")
        self.partner = partner
        self.name = name
        self.spec = spec
        self.host = host
        self.requested_port = port
        self.port = port
        self.credentials = partner.ssh
        self._server: asyncssh.SSHAcceptor | None = None
        self._hold: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.limits = partner.connection_limits()
        partner.scenarios.subscribe(self._scenario_changed)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self._listen(self.requested_port)
        except OSError as error:
            raise bind_error(self.partner.name, self.name, self.host, self.requested_port, error) from None
        await self._apply_scenarios()

    async def _listen(self, port: int) -> None:
        options: dict[str, Any] = {
            "server_host_keys": self._host_keys(),
            "encoding": None,  # channels carry bytes, with no line editor: SFTP is the only thing served
            "line_editor": False,
            "login_timeout": 120,
        }
        if self.spec.banner:
            options["banner"] = self.spec.banner
        self._server = await asyncssh.create_server(lambda: SshConnection(self), self.host, port, **options)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self._close_listeners()
        await self._drop_connections("server stopping")

    async def restart(self) -> None:
        """What a restarting server does to its clients: every connection cut, then listening again."""
        await self._close_listeners()
        await self._drop_connections("server restarting")
        await self._apply_scenarios()
        self.partner.journal.record("endpoint.restart", partner=self.partner.name, endpoint=self.name)

    async def _close_listeners(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._hold is not None:
            self._hold.close()
        self._server = self._hold = None

    def disconnect(self, connection: asyncssh.SSHServerConnection, reason: str) -> None:
        """Disconnect one client (its account changed), from any thread."""

        async def disconnect() -> None:
            connection.disconnect(asyncssh.DISC_BY_APPLICATION, reason)

        self._on_loop(disconnect())

    async def _drop_connections(self, reason: str) -> None:
        connections = list(self.connections)
        for connection in connections:
            connection.disconnect(asyncssh.DISC_BY_APPLICATION, reason)
        for connection in connections:
            await connection.wait_closed()

    # -- scenarios ----------------------------------------------------------------------------------------

    def _scenario_changed(self, name: str, parameters: dict[str, Any] | None) -> None:
        if name in ("port-closed", "firewall-drop", "host-key-changed"):
            self._on_loop(self._apply_scenarios())

    def _on_loop(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run on the server's loop; wait for it unless we already are on that loop."""
        assert self._loop is not None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._loop.create_task(coroutine)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _apply_scenarios(self) -> None:
        """Listen (or not) as the port scenarios say: closed, a firewall that drops, or the real server."""
        scenarios = self.partner.scenarios
        closed = scenarios.active("port-closed") is not None
        dropping = scenarios.active("firewall-drop") is not None
        if (closed or dropping) and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if dropping and self._hold is None and not closed:
            self._hold = silent_listener(self.host, self.port)
        if not dropping and self._hold is not None:
            await self._close_listeners()
        if not closed and not dropping and self._server is None:
            await self._listen(self.port)
        if self._server is not None:
            self._server.update(server_host_keys=self._host_keys())

    def _host_keys(self) -> list[asyncssh.SSHKey]:
        if self.partner.scenarios.active("host-key-changed") is not None:
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

    def reload_credentials(self) -> None:
        """Host keys change only at start (``--new-host-keys``): nothing to reload while serving."""

    def known_hosts_lines(self) -> list[str]:
        """OpenSSH known_hosts lines for this endpoint as it listens now."""
        host = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return [f"{host} {' '.join(pair.public_line.split()[:2])}" for pair in self.credentials.host_keys]
