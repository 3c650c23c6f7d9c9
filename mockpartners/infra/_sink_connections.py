"""The outbox's connections to its own SMTP sink, kept open while mails are waiting to go.

A mail server with a queue sends what waits on the connection it already has (Postfix's connection cache),
rather than connecting, greeting and saying goodbye for each message: for a burst of notices (two hundred
XFB deposits, each mailed), that handshake was most of what the sending cost. Once nothing waits, every
connection is closed, so an idle outbox holds none of the slots the sink gives each client address.
"""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

__all__ = ["SinkConnections"]


class SinkConnections:
    """SMTP clients to one address, shared by the sending threads: taken by one at a time, kept while
    mails are pending (counted from :meth:`queued` to the end of their :meth:`send`)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Condition()
        self._idle: list[smtplib.SMTP] = []
        self._pending = 0

    def queued(self) -> None:
        """A mail will be sent: connections stay open until it is."""
        with self._lock:
            self._pending += 1

    def wait_until_sent(self, timeout: float) -> bool:
        """Until every mail queued has reached the sink or failed (False: ``timeout`` seconds passed)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pending <= 0, timeout)

    def cancelled(self) -> None:
        """A mail :meth:`queued` will not be sent after all (the outbox stopped)."""
        self._done(None)

    def send(self, address: tuple[str, int], message: EmailMessage) -> None:
        """Send on an idle connection (a new one if none, or if the sink closed it meanwhile)."""
        with self._lock:
            client = self._idle.pop() if self._idle else None
        try:
            if client is not None:
                try:
                    client.send_message(message)
                except smtplib.SMTPServerDisconnected:  # closed by the sink (its timeout, a restart)
                    client.close()
                    client = None
            if client is None:
                client = smtplib.SMTP(address[0], address[1], timeout=self.timeout)
                client.send_message(message)
        except BaseException:
            if client is not None:
                client.close()
            client = None
            raise
        finally:
            self._done(client)

    def _done(self, client: smtplib.SMTP | None) -> None:
        with self._lock:
            self._pending -= 1
            if client is not None:
                self._idle.append(client)
            closing = [] if self._pending > 0 else self._idle
            if closing:
                self._idle = []
            if self._pending <= 0:
                self._lock.notify_all()
        for idle in closing:
            _quit(idle)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
