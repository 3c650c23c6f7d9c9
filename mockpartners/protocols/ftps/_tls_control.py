"""How an FTPS control connection becomes TLS: on ``AUTH TLS`` (explicit, "FTPES", port 21) or at connect,
before the greeting (implicit, port 990), within a deadline either way; and what a client that came to the
wrong kind of port meets.

pyftpdlib secures a connection in ``TLS_FTPHandler.ftp_AUTH``: it answers ``234`` in clear, then wraps the
socket (``secure_connection``) and lets its loop drive the handshake. Implicit TLS calls the same
``secure_connection`` once the connection is admitted, and holds the greeting until the handshake is done.
A connection refused at once (a banned address, too many connections) gets its ``421`` in clear before any
handshake, as vsftpd's ``implicit_ssl`` does ("check limits before doing an implicit SSL handshake, to avoid
DoS attacks"): a refused client costs no handshake and holds no descriptor, and reads a broken TLS record.
On an explicit port, a client that stalls after ``AUTH TLS`` meets pyftpdlib's idle timeout, as before.

Port confusion, as clients see it (Lucca serves both: "FTPS" on 990, "FTPES" on 21):

- an explicit (FTPES) client on an implicit port waits for a plain ``220`` that never comes, while the
  server waits for its handshake: after ``tls_handshake_timeout`` the server closes the connection and
  journals why (curl: "Weird server reply" or "Failure when receiving data"; lftp and ftplib: the
  connection closed);
- an implicit client on an explicit port sends a TLS ClientHello where a command belongs and reads the
  plain ``220`` as a broken TLS record ("wrong version number"): the server sees the handshake record,
  journals it and closes, instead of parsing binary as FTP commands.

Scenario ``tls-modes-swapped`` builds each port's handler with the other mode (:attr:`TlsControl.swapped`):
a server misconfigured so, which rightly configured clients meet as if they had come to the wrong port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from OpenSSL import SSL
from pyftpdlib.handlers import TLS_FTPHandler

from ...scenarios.names import TLS_MODES_SWAPPED

if TYPE_CHECKING:
    from ...ports.session import Session

__all__ = ["ImplicitTls", "TlsControl"]

_HANDSHAKE_RECORD = 0x16
"""The first byte of a TLS handshake record (ClientHello): no FTP command starts with it."""


class TlsControl(TLS_FTPHandler):  # type: ignore[misc]
    """The TLS side of a control connection, under :class:`~._handler.PartnerHandler`."""

    implicit: ClassVar[bool] = False
    """Whether the port is implicit TLS (set by :class:`ImplicitTls`)."""
    swapped: ClassVar[bool] = False
    """Whether the port serves the other TLS mode than its profile's (scenario ``tls-modes-swapped``)."""
    session: Session
    _held_replies: list[Any] | None

    def handle(self) -> None:
        """The connection is admitted (the handler refused it before otherwise): greet; on an implicit port,
        once the handshake is done."""
        if self.implicit:
            self._held_replies = []
            self.secure_connection(self.ssl_context)
        super().handle()

    def handle_ssl_established(self) -> None:
        self.release_replies()

    def release_replies(self) -> None:
        """Send what was held back (the greeting of an implicit port); defined by the handler."""
        raise NotImplementedError

    def collect_incoming_data(self, data: bytes) -> None:
        """A TLS handshake record where a command belongs: an implicit FTPS client on an explicit port."""
        if not self._ssl_requested and not self._in_buffer and data[:1] == bytes([_HANDSHAKE_RECORD]):
            if self.session is not None:
                reason = (
                    "a TLS handshake on the explicit port: the client expected implicit TLS (FTPS), this port"
                    " greets in clear and wants AUTH TLS (FTPES)"
                )
                self.session.record("session.tls", outcome="refused", reason=reason + self.swapped_note())
            self.close()
            return
        super().collect_incoming_data(data)

    def swapped_note(self) -> str:
        """What a refusal adds while the port serves the other mode on purpose."""
        if not self.swapped:
            return ""
        mode = "implicit" if self.implicit else "explicit"
        return f" (scenario {TLS_MODES_SWAPPED}: this port serves {mode} TLS instead of its own)"


class ImplicitTls(TlsControl):
    """Mixed in first for an implicit TLS port: the handshake as the connection is admitted, the greeting
    after it, and a deadline for the handshake (``tls_handshake_timeout``)."""

    implicit: ClassVar[bool] = True
    handshake_timeout: ClassVar[float] = 30.0
    """Seconds a client has to finish its TLS handshake (profile ``tls_handshake_timeout``)."""

    _handshake_deadline: Any = None

    def secure_connection(self, ssl_context: SSL.Context) -> None:
        super().secure_connection(ssl_context)
        if not self._closed:
            self._handshake_deadline = self.ioloop.call_later(
                self.handshake_timeout, self._handshake_overdue, _errback=self.handle_error
            )

    def handle_ssl_established(self) -> None:
        self._cancel_deadline()
        super().handle_ssl_established()

    def handle_failed_ssl_handshake(self) -> None:
        self._cancel_deadline()
        super().handle_failed_ssl_handshake()

    def close(self) -> None:
        self._cancel_deadline()
        super().close()

    def _cancel_deadline(self) -> None:
        if self._handshake_deadline is not None and not self._handshake_deadline.cancelled:
            self._handshake_deadline.cancel()
        self._handshake_deadline = None

    def _handshake_overdue(self) -> None:
        self._handshake_deadline = None
        if self._closed or not self._ssl_accepting:
            return
        reason = (
            "a plain FTP client on the implicit TLS port: it waited for a greeting, which comes only after a"
            f" TLS handshake; no handshake within {self.handshake_timeout:g}s (tls_handshake_timeout), closed"
        )
        if self.session is not None:
            self.session.record("session.tls", outcome="refused", reason=reason + self.swapped_note())
        self.close()
