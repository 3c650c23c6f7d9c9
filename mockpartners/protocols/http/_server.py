"""An HTTP endpoint of a partner: aiohttp on the suite's loop, plain or TLS, behind a gate that makes every
connection a session (banned addresses and connection limits refused with a 503, late headers with a 408),
and every request a ``http.request`` event (method, path without its query, status, size)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from aiohttp import web

from ...infra.endpoints import EndpointInfo, TlsInfo
from ...infra.http_listener import HttpConnection, HttpListener
from ...model.loading import HttpEndpoint
from ...ports.endpoint import EndpointPort
from ...ports.session import Session
from ...scenarios import names
from ..base import AsyncioListener, server_context
from ._apps import ENTRIES, application_routes
from ._faults import CutMidBody

__all__ = ["HttpServer"]

_LINGERING_SECONDS = 2.0
"""How long the rest of a refused body is read and thrown away (aiohttp reads on after the client left)."""


class _SessionGate:
    """Each connection is a session: admitted unless its address is banned or the limits are reached."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.header_timeout = server.spec.header_timeout.total_seconds()

    def admit(self, connection: HttpConnection) -> str | None:
        session = self.server.partner.new_session("http", connection.address, connection.port)
        refusal = session.connected(self.server.limits, endpoint=self.server.name)
        if refusal is not None:
            session.ended(refusal.reason)
            return refusal.reason
        connection.state = session
        return None

    def release(self, connection: HttpConnection) -> None:
        if isinstance(connection.state, Session):
            connection.state.ended(self.server.closing_reason)


class HttpServer(AsyncioListener[HttpEndpoint]):
    """Serves one ``protocol: http`` endpoint of a profile, on the suite's asyncio loop."""

    protocol = "http"
    follows: ClassVar[frozenset[str]] = names.LISTENING | names.TLS_CONTEXT

    def __init__(self, partner: EndpointPort, name: str, spec: HttpEndpoint, host: str, port: int) -> None:
        if spec.tls and partner.tls is None:
            raise RuntimeError("prepare the partner before serving it")
        super().__init__(partner, name, spec, host, port)
        self.closing_reason = ""
        self._runner: web.AppRunner | None = None
        self._listener: HttpListener | None = None
        self._ssl = self._new_context() if spec.tls else None

    def session_of(self, request: web.Request) -> Session:
        """The session of the connection a request came on."""
        connection = self._listener.connection_of(request) if self._listener else None
        if connection is None or not isinstance(connection.state, Session):
            raise web.HTTPServiceUnavailable(text="the connection is closing")
        return connection.state

    async def _open(self, port: int) -> int:
        if self._runner is None:
            self._runner = await self._setup()
        self.closing_reason = ""
        self._listener = HttpListener(self._runner, _SessionGate(self))
        return await self._listener.start(self.host, port, self._ssl)

    async def _setup(self) -> web.AppRunner:
        app = web.Application(client_max_size=int(self.spec.max_body), middlewares=[self._journalled])
        app.add_routes(application_routes(self.spec.application, self))
        runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=5,
            keepalive_timeout=self.spec.header_timeout.total_seconds(),
            lingering_time=_LINGERING_SECONDS,
        )
        await runner.setup()
        return runner

    @web.middleware
    async def _journalled(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Every request an event of its session: ``http.request`` with its status (errors included)."""
        session = self.session_of(request)
        delay = session.faults.reply_delay()  # scenario latency
        if delay:
            await asyncio.sleep(delay)
        try:
            response = await handler(request)
        except CutMidBody as cut:
            session.record("http.request", outcome="failed", method=request.method, target=request.path,
                           error=str(cut))  # fmt: skip
            if request.transport is not None:
                request.transport.close()
            raise
        except web.HTTPException as refused:
            session.record("http.request", outcome="refused", method=request.method, target=request.path,
                           status=refused.status)  # fmt: skip
            raise
        outcome = "ok" if response.status < 400 else "refused"
        session.record("http.request", outcome=outcome, method=request.method, target=request.path,
                       status=response.status)  # fmt: skip
        return response

    async def _close(self) -> None:
        if self._listener is not None:
            self._listener.close()

    async def _drop_connections(self, reason: str) -> None:
        self.closing_reason = reason
        if self._listener is not None:
            for connection in list(self._listener.open.values()):
                connection.close()

    async def stop(self) -> None:
        await super().stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _scenarios_applied(self) -> None:
        """The certificate scenarios: new handshakes get the chain and minimum version they choose."""
        self.reload_credentials()

    def reload_credentials(self) -> None:
        if self._ssl is not None:
            self._new_context(self._ssl)

    def _new_context(self, context: ssl.SSLContext | None = None) -> ssl.SSLContext:
        return server_context(self.partner, self.spec.tls_minimum, context)

    def info(self, known_hosts: Path | None = None) -> EndpointInfo:
        tls = self.partner.tls
        served = None
        if self.spec.tls and tls is not None:
            served = TlsInfo.served(tls, self.spec.tls_minimum, "", "none", "implicit")
        where = (self.name, self.protocol, self.host, self.port, self.spec.port)
        scheme = "https" if served else ""
        return EndpointInfo(*where, tls=served, entry=ENTRIES[self.spec.application], scheme=scheme)
