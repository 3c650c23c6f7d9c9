"""The admin API's listening socket: how many connections a client may hold, and for how long a request
may take to arrive.

aiohttp waits for a request's headers for ever, and 2 x 10,000 half-sent requests once used up every
descriptor of the process. Each connection here is wrapped before aiohttp sees it: it is counted per client
address and in all (:class:`~mockpartners.infra.limits.ConnectionLimits`; beyond a limit it gets a 503 and is
closed at once), and closed with a 408 if the first request's headers have not arrived within the timeout.
Later requests on a kept-alive connection are held to the same time by aiohttp's keep-alive timeout,
which the server sets to it. Nothing of aiohttp is changed: this is one wrapper object per connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web

from ...infra.limits import ConnectionLimits
from ._settings import AdminLimits

__all__ = ["Listener"]

_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


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


class _Connection(asyncio.Protocol):
    """One client connection: admitted or refused, then handed to aiohttp with a deadline for its headers."""

    def __init__(self, make_handler: Callable[[], web.RequestHandler], listener: Listener) -> None:
        self._make_handler = make_handler
        self._listener = listener
        self._handler: web.RequestHandler | None = None
        self._address = ""
        self._deadline: asyncio.TimerHandle | None = None
        self._tail = b""
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self._address = str(peer[0]) if peer else "unknown"
        refusal = self._listener.connections.admit(self._address)
        if refusal is not None:
            _answer_and_close(transport, 503, refusal)
            return
        timeout = self._listener.limits.header_timeout
        self._deadline = asyncio.get_running_loop().call_later(timeout, self._headers_late)
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
            self._listener.connections.release(self._address)
            self._handler.connection_lost(exc)
            self._handler = None

    def _headers_late(self) -> None:
        self._deadline = None
        if self._transport is not None and not self._transport.is_closing():
            timeout = self._listener.limits.header_timeout
            _answer_and_close(
                self._transport, 408, f"the request's headers did not arrive within {timeout:g} s"
            )


class Listener:
    """The listening socket of one admin API, serving ``runner``'s application."""

    def __init__(self, runner: web.AppRunner, limits: AdminLimits) -> None:
        self._runner = runner
        self.limits = limits
        self.connections = ConnectionLimits(limits.connections_per_address, limits.connections)
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (port 0: a free one); the port listened on."""
        server = self._runner.server
        assert server is not None, "the runner is set up first"
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(server, self), host, port)
        return int(self._server.sockets[0].getsockname()[1])

    def close(self) -> None:
        """Stop accepting connections (those open are closed by the runner's cleanup)."""
        if self._server is not None:
            self._server.close()
            self._server = None
