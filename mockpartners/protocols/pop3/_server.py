"""A POP3 endpoint of a partner on the suite's loop: each connection a session of the partner (banned
addresses and connection limits refused with ``-ERR [SYS/TEMP]`` before the greeting), served by a
:class:`~._commands.Pop3Connection` until QUIT, the idle timeout, or the server stopping."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import ClassVar

from ...infra.endpoints import EndpointInfo, TlsInfo
from ...model.loading import Pop3Endpoint
from ...ports.endpoint import EndpointPort
from ...scenarios import names
from ..base import AsyncioListener, server_context
from ._commands import Pop3Connection

__all__ = ["Pop3Server"]


class Pop3Server(AsyncioListener[Pop3Endpoint]):
    """Serves one ``protocol: pop3`` endpoint of a profile."""

    protocol = "pop3"
    follows: ClassVar[frozenset[str]] = names.LISTENING | names.TLS_CONTEXT

    def __init__(self, partner: EndpointPort, name: str, spec: Pop3Endpoint, host: str, port: int) -> None:
        if partner.tls is None:
            raise RuntimeError("prepare the partner before serving it")
        super().__init__(partner, name, spec, host, port)
        self.connections: set[Pop3Connection] = set()
        self.closing_reason = ""
        self.ssl = self._new_context()
        self._server: asyncio.AbstractServer | None = None

    async def _open(self, port: int) -> int:
        self.closing_reason = ""
        self._server = await asyncio.start_server(
            self._serve, self.host, port, limit=self.spec.max_command_length + 2
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("", 0)
        session = self.partner.new_session("pop3", str(peer[0]), int(peer[1]))
        refusal = session.connected(self.limits, endpoint=self.name)
        if refusal is not None:
            session.ended(refusal.reason)
            writer.write(f"-ERR [SYS/TEMP] {refusal.reason}\r\n".encode())
            await _closed(writer)
            return
        connection = Pop3Connection(self, session, reader, writer)
        self.connections.add(connection)
        try:
            reason = await connection.run()
        finally:
            self.connections.discard(connection)
        session.ended(self.closing_reason or reason)
        await _closed(writer)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _drop_connections(self, reason: str) -> None:
        self.closing_reason = reason
        for connection in list(self.connections):
            connection.close()

    async def _scenarios_applied(self) -> None:
        self._new_context(self.ssl)

    def reload_credentials(self) -> None:
        self._new_context(self.ssl)

    def _new_context(self, context: ssl.SSLContext | None = None) -> ssl.SSLContext:
        return server_context(self.partner, self.spec.tls_minimum, context)

    def info(self, known_hosts: Path | None = None) -> EndpointInfo:
        assert self.partner.tls is not None
        details = TlsInfo.served(self.partner.tls, self.spec.tls_minimum, "", "none", "starttls")
        return EndpointInfo(self.name, self.protocol, self.host, self.port, self.spec.port, tls=details)


async def _closed(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), timeout=5)
    except (TimeoutError, OSError, ssl.SSLError):
        pass
