"""An SMTP endpoint of a partner: one aiosmtpd ``SMTP`` instance per connection, built by this endpoint
with its own handler (never aiosmtpd's module-wide ``Controller``), so two endpoints share nothing.

aiosmtpd enforces what it already knows: STARTTLS before anything else (``530 Must issue a STARTTLS
command first``), AUTH only over TLS, AUTH before MAIL (``530 5.7.0 Authentication required``), the message
size (``552``, announced by EHLO's ``SIZE``) and the command timeout. The partner's own checks (the account,
the sender, the recipients, the attachment) are in :mod:`._intake`. Every reply of code 4xx or 5xx, whoever
made it, is an ``smtp.refused`` event with the code and the command it answered.
"""

from __future__ import annotations

import asyncio
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession

from ...model.loading import SmtpEndpoint
from ...ports.session import Session
from ...scenarios import names
from ..base import StarttlsListener
from ._intake import Intake

__all__ = ["SmtpServer"]

TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections, try again later"


class _Connection(SMTP):
    """One client connection: a session of the partner, its own handler (:class:`Intake`)."""

    def __init__(self, server: SmtpServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.partner_session: Session | None = None
        self.closing = ""
        self.reason = ""
        """Why the next refusal is made, for its journal event (the partner's checks say it)."""
        spec = server.spec
        missing = server.partner.scenarios.active(names.STARTTLS_MISSING) is not None
        starttls = None if missing else server.ssl
        super().__init__(
            Intake(server, self),
            data_size_limit=int(spec.max_message_size),
            hostname=spec.hostname,
            ident="mockpartners ESMTP",
            tls_context=starttls,
            require_starttls=spec.require_tls,
            timeout=spec.data_timeout.total_seconds(),
            auth_required=True,
            auth_require_tls=spec.require_tls,
            authenticator=self._check_login,
            loop=loop,
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.partner_session is not None:  # STARTTLS: the same connection, now over TLS
            super().connection_made(transport)
            cipher = transport.get_extra_info("cipher")
            version = transport.get_extra_info("ssl_object")
            self.partner_session.record(
                "smtp.starttls", version=version.version() if version is not None else None,
                cipher=cipher[0] if cipher else None,
            )  # fmt: skip
            return
        peer = transport.get_extra_info("peername") or ("", 0)
        session = self.server.partner.new_session("smtp", str(peer[0]), int(peer[1]))
        refusal = session.connected(self.server.limits, endpoint=self.server.name)
        if refusal is not None:
            session.ended(refusal.reason)
            assert isinstance(transport, asyncio.Transport)
            transport.write(f"{TOO_MANY_CONNECTIONS}: {refusal.reason}\r\n".encode())
            transport.close()
            return
        self.partner_session = session
        self.server.connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.partner_session is None:  # refused before the greeting: aiosmtpd never started
            return
        if self in self.server.connections:
            self.server.connections.discard(self)
            reason = self.server.closing_reason or self.closing or ("connection lost" if error else "")
            self.partner_session.ended(reason)
        super().connection_lost(error)

    def _timeout_cb(self) -> None:
        self.closing = f"no command for {self.server.spec.data_timeout} (data_timeout)"
        self.partner_session_record("smtp.timeout", outcome="refused", reason=self.closing)
        super()._timeout_cb()  # type: ignore[no-untyped-call]

    def partner_session_record(self, kind: str, **detail: Any) -> None:
        if self.partner_session is not None:
            self.partner_session.record(kind, **detail)

    async def push(self, status: AnyStr) -> None:
        """Every refusal journalled, whether aiosmtpd or the partner's checks made it."""
        text = status.decode() if isinstance(status, bytes) else str(status)
        if text[:1] in ("4", "5") and self.partner_session is not None:
            detail: dict[str, Any] = {"code": int(text[:3]), "reply": text}
            if self.reason:
                detail["reason"] = self.reason
            self.partner_session.record("smtp.refused", outcome="refused", **detail)
        self.reason = ""
        await super().push(status)

    def _check_login(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """AUTH PLAIN or LOGIN, against the partner's account book (bans and scenarios included)."""
        partner_session = self.partner_session
        if partner_session is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        username = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        book = self.server.partner.accounts
        reason = book.refusal(
            username,
            "password",
            endpoint=self.server.name,
            address=partner_session.address,
            password=password,
        )
        if not reason and self.server.partner.scenarios.active(names.SMTP_AUTH_REFUSED) is not None:
            reason = f"scenario {names.SMTP_AUTH_REFUSED}: every AUTH refused"
        partner_session.auth_attempt(username, "password", not reason, reason, mechanism=mechanism)
        if reason:
            self.reason = reason
            return AuthResult(success=False, handled=False)
        partner_session.logged_in(username, "password", cut=lambda why: self._cut())
        return AuthResult(success=True, auth_data=username)

    def close(self) -> None:
        """End the connection (the server stopping, or the account cut)."""
        if self.transport is not None:
            self.transport.close()

    def _cut(self) -> None:
        self.server.submit(self._closed())

    async def _closed(self) -> None:
        self.close()


class SmtpServer(StarttlsListener[SmtpEndpoint]):
    """Serves one ``protocol: smtp`` endpoint of a profile, on the suite's asyncio loop."""

    protocol = "smtp"

    async def _start_server(self, port: int) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: _Connection(self, loop), self.host, port)
