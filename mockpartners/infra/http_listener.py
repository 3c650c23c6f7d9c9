"""An aiohttp server's listening socket with a gate: who may connect, and how long a request may take to
arrive. Used by the admin API and by the HTTP partners (the XFB gateway).

aiohttp waits for a request's headers for ever, and 2 x 10,000 half-sent requests once used up every
descriptor of the process. Each connection here is wrapped before aiohttp sees it: the gate admits it or
refuses it (a 503 written at once, then the connection closed), it is closed with a 408 if the first
request's headers have not arrived within the gate's timeout, and the gate hears when it ends. Later
requests on a kept-alive connection are held to the same time by aiohttp's keep-alive timeout, which the
servers set to it. Nothing of aiohttp is changed: this is one wrapper object per connection.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

from aiohttp import web

__all__ = ["Gate", "HttpConnection", "HttpListener"]

_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


class Gate(Protocol):
    """Who may connect: ``admit`` returns why a connection is refused (None: admitted)."""

    header_timeout: float

    def admit(self, connection: HttpConnection) -> str | None: ...
    def release(self, connection: HttpConnection) -> None: ...


def _answer_and_close(transport: asyncio.BaseTransport, status: int, message: str) -> None:
    """A last answer written straight to the socket (no request was read), then the connection closed."""
    if isinstance(transport, asyncio.WriteTransport):
        body = json.dumps({"error": message}).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        transport.write(head.encode() + body)
    transport.close()


class HttpConnection(asyncio.Protocol):
    """One client connection: admitted or refused, then handed to aiohttp with a deadline for its headers."""

    def __init__(
        self, make_handler: Callable[[], web.RequestHandler], gate: Gate, listener: HttpListener
    ) -> None:
        self._make_handler = make_handler
        self._gate = gate
        self._listener = listener
        self._handler: web.RequestHandler | None = None
        self.address = ""
        self.port = 0
        self.state: Any = None
        """What the gate keeps for this connection (the HTTP partners: its session)."""
        self._deadline: asyncio.TimerHandle | None = None
        self._tail = b""
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.address, self.port = (str(peer[0]), int(peer[1])) if peer else ("unknown", 0)
        refusal = self._gate.admit(self)
        if refusal is not None:
            _answer_and_close(transport, 503, refusal)
            return
        self._listener.open[transport] = self
        self._deadline = asyncio.get_running_loop().call_later(self._gate.header_timeout, self._headers_late)
        self._handler = self._make_handler()
        self._handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._handler is None:
            return
        if self._deadline is not None:
            seen = self._tail + data
            if any(end in seen for end in _HEAD_ENDS):
                self._deadline.cancel()
                self._deadline = None
            self._tail = seen[-3:]
        self._handler.data_received(data)

    def eof_received(self) -> None:
        if self._handler is not None:
            self._handler.eof_received()

    def pause_writing(self) -> None:
        if self._handler is not None:
            self._handler.pause_writing()

    def resume_writing(self) -> None:
        if self._handler is not None:
            self._handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._handler is not None:
            if self.transport is not None:
                self._listener.open.pop(self.transport, None)
            self._gate.release(self)
            self._handler.connection_lost(exc)
            self._handler = None

    def close(self) -> None:
        """Cut the connection (a server that stops, an account cut)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _headers_late(self) -> None:
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            timeout = self._gate.header_timeout
            _answer_and_close(
                self.transport, 408, f"the request's headers did not arrive within {timeout:g} s"
            )


class HttpListener:
    """The listening socket of one aiohttp server, serving ``runner``'s application through ``gate``."""

    def __init__(self, runner: web.AppRunner, gate: Gate) -> None:
        self._runner = runner
        self.gate = gate
        self._server: asyncio.Server | None = None
        self.open: dict[asyncio.BaseTransport, HttpConnection] = {}
        """The connections admitted and not yet lost, by transport (a request's ``transport``)."""

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> int:
        """Listen on ``host:port`` (port 0: a free one), with TLS when given a context; the port."""
        server = self._runner.server
        assert server is not None, "the runner is set up first"
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HttpConnection(server, self.gate, self), host, port, ssl=ssl_context
        )
        return int(self._server.sockets[0].getsockname()[1])

    def connection_of(self, request: web.Request) -> HttpConnection | None:
        """The connection a request came on (its ``state``: what the gate attached, a session)."""
        return self.open.get(request.transport) if request.transport is not None else None

    def close(self) -> None:
        """Stop accepting connections (those open are closed by the runner's cleanup)."""
        if self._server is not None:
            self._server.close()
            self._server = None
