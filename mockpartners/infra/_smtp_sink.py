"""The outbox's SMTP sink: an aiosmtpd server of one suite, on the suite's loop, that takes every message.

Each suite builds its own server and its own handler (never aiosmtpd's module-wide ``Controller`` with a
thread of its own), so two suites in one process never share a mailbox. It is bounded as a real mail server
is: a message over the size limit is refused with SMTP's ``552`` (and the limit is advertised with EHLO's
``SIZE``), an address holding too many connections gets ``421`` before the greeting, and a client that stops
sending is disconnected after the data timeout, which bounds every command including the whole DATA phase.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

__all__ = ["MailLimits", "SmtpSink"]

TOO_MANY_CONNECTIONS = b"421 4.7.0 Too many connections from your address, try again later\r\n"


@dataclass(frozen=True)
class MailLimits:
    """What the sink accepts: a shared sink must not let one client fill the disk or hold every slot."""

    max_message_size: int = 10 * 2**20
    """Bytes of one message (DATA); more is refused with ``552``. 10 MiB, a common relay default."""
    connections_per_address: int = 10
    """Connections open at once from one client address; one more gets ``421`` and is closed."""
    data_timeout: float = 60.0
    """Seconds a command may take, the whole DATA transfer included, before the connection is closed."""
    max_messages: int = 10000
    """Mails the outbox keeps; beyond, a new one is refused with ``452`` until it is emptied (a reset)."""


Deliver = Callable[[Envelope, str], Awaitable[str]]
"""What the sink does with a message: store it, and return the SMTP reply (``250 ...``)."""

Refuse = Callable[[str, str], None]
"""How the sink reports a refused connection: (client address, reason)."""


class _Handler:
    """aiosmtpd's handler of one sink: every accepted message goes to the sink's ``deliver``."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
        return await self._deliver(envelope, peer)


class _SinkConnection(SMTP):
    """One SMTP connection of a sink, counted against its address (a per-sink subclass instance: the
    library's class is never changed)."""

    def __init__(self, sink: SmtpSink, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(
            sink.handler,
            data_size_limit=sink.limits.max_message_size,
            hostname=sink.hostname,
            ident="mockpartners outbox",
            timeout=sink.limits.data_timeout,
            loop=loop,
        )
        self._sink = sink
        self._address: str | None = None
        sink.connections.add(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if not self._sink.admit(address):
            assert isinstance(transport, asyncio.Transport)
            transport.write(TOO_MANY_CONNECTIONS)
            transport.close()
            return
        self._address = address
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._sink.connections.discard(self)
        if self._address is None:  # refused before the greeting: aiosmtpd never started
            return
        self._sink.release(self._address)
        super().connection_lost(error)


class SmtpSink:
    """An SMTP server on ``host:port`` (0: a free port) handing each message to ``deliver``."""

    def __init__(self, host: str, port: int, limits: MailLimits, deliver: Deliver, refuse: Refuse) -> None:
        self.host = host
        self.requested_port = port
        self.port = port
        self.limits = limits
        self.hostname = "outbox.mockpartners.localhost"
        self.handler = _Handler(deliver)
        self._refuse = refuse
        self._per_address: Counter[str] = Counter()
        self.connections: set[_SinkConnection] = set()
        """The connections open now (closed when the sink stops)."""
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        """Listen; the port it got."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _SinkConnection(self, loop), self.host, self.requested_port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Stop listening and close the connections still open."""
        if self._server is None:
            return
        self._server.close()
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), timeout=5)
        self._server = None

    def admit(self, address: str) -> bool:
        if self._per_address[address] >= self.limits.connections_per_address:
            limit = self.limits.connections_per_address
            self._refuse(address, f"more than {limit} connections at once from this address")
            return False
        self._per_address[address] += 1
        return True

    def release(self, address: str) -> None:
        self._per_address[address] -= 1
        if self._per_address[address] <= 0:
            del self._per_address[address]
