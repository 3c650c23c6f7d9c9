"""SMTP intake: messages per second, each carrying a 1 MB file, into INSEE's PECOTO double beside a bare
aiosmtpd server, on one connection each (STARTTLS, AUTH PLAIN, then the messages one after the other).

The bare server is what our SMTP endpoint is built on, doing nothing: the same TLS chain and minimum version,
an authenticator that accepts anyone, a handler that answers ``250`` and keeps nothing. Ours does what the
bureau does for each message: the sender, recipient and attachment checks, the mail written whole into the
account's folder, the file taken, journalled, and the acknowledgement mailed through the outbox. Rounds
alternate the two servers; the ratio of each round is ours over the bare one's, and the median counts.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from mockpartners import Suite

from ._common import BenchError, Options, paired
from ._outbox import BARE_SMTP

__all__ = ["measure_smtp"]

_ATTACHMENT = 2**20
_SENDER = "recensement@mairie-96010.example"
_BUREAU = "INSEE@pecoto.insee.example"


class _Discard:
    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        return "250 2.0.0 Ok"


def _anyone(server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    return AuthResult(success=True)


class _BareServer:
    """aiosmtpd on a loop thread of its own, as a user of the library would start it."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-aiosmtpd", daemon=True)
        self.port = 0
        self._server: asyncio.Server | None = None

    def __enter__(self) -> _BareServer:
        self.thread.start()

        def connection() -> SMTP:
            return SMTP(
                _Discard(),
                hostname="bare.localhost",
                tls_context=self.context,
                require_starttls=True,
                auth_required=True,
                authenticator=_anyone,
                data_size_limit=10 * 2**20,
                loop=self.loop,
            )

        async def start() -> asyncio.Server:
            return await self.loop.create_server(connection, "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(timeout=30)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def _message(number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = _SENDER, _BUREAU, f"Recensement {number}"
    message.set_content("Fichier ci-joint.\n")
    message.add_attachment(b"c" * _ATTACHMENT, maintype="text", subtype="plain", filename="rp96010.txt")
    return message


def _rate(port: int, trust: ssl.SSLContext, password: str, count: int) -> float:
    """Messages per second on one connection, once it is secured and logged in."""
    messages = [_message(number) for number in range(count)]
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.starttls(context=trust)
        client.login("96010", password)
        began = time.perf_counter()
        for message in messages:
            client.send_message(message)
        return count / (time.perf_counter() - began)


def measure_smtp(options: Options, state_dir: Path) -> dict[str, Any]:
    count = 5 if options.quick else 50
    suite = Suite(["insee-pecoto"], state_dir=state_dir, ports="ephemeral")
    suite.start()
    try:
        pecoto = suite["insee-pecoto"]
        tls = pecoto.tls
        if tls is None:
            raise BenchError("insee-pecoto has no TLS credentials")
        served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        served.load_cert_chain(str(tls.server.certificate_path), str(tls.server.key_path))
        trust = ssl.create_default_context(cafile=str(tls.root.certificate_path))
        trust.check_hostname = False
        password = pecoto.account("96010").password or ""
        rounds: dict[str, list[float]] = {"mockpartners": [], BARE_SMTP: []}
        with _BareServer(served) as bare:
            for _ in range(options.rounds):
                rounds["mockpartners"].append(_rate(pecoto.endpoint("smtp").port, trust, password, count))
                rounds[BARE_SMTP].append(_rate(bare.port, trust, password, count))
                pecoto.reset()
                suite.outbox.clear()
    finally:
        suite.stop()
    ratio = paired(rounds["mockpartners"], rounds[BARE_SMTP])
    return {
        "messages": count,
        "attachment_bytes": _ATTACHMENT,
        "rounds": {name: [round(rate, 2) for rate in rates] for name, rates in rounds.items()},
        "ratio": round(ratio, 3) if ratio is not None else None,
    }
