"""The data side of an FTPS endpoint: the passive listener and the data connections it hands over.

A data connection carries files: nothing may reach it before the partner knows it is the client's. The
listener drops connections from another address in silence (the partner's firewall would), and a data
connection that does not resume the control connection's TLS session, when the partner requires it, is
refused before a single byte of data is sent (a second process on the client's machine that connects
to the announced port first gets nothing).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from typing import TYPE_CHECKING, Any

from OpenSSL import SSL
from pyftpdlib.handlers import DTPHandler, TLS_DTPHandler
from pyftpdlib.handlers.ftp.dispatchers import PassiveDTP

from ._access import normal_address
from ._tls import session_reused, whole_writes

if TYPE_CHECKING:
    from ._handler import PartnerHandler

__all__ = ["REUSE_REFUSAL", "DataChannel", "PassiveListener"]

log = logging.getLogger("mockpartners.ftps")

REUSE_REFUSAL = "SSL connection failed: session reuse required"
"""vsftpd's words (``require_ssl_reuse``), answered with ``522`` to the transfer command."""

_BURST = 16
"""Reads (one TLS record each) or sends (one chunk each) per readiness event; pyftpdlib does one, so a
transfer paid a turn of the loop per 16 KiB record (bench/: FTPS throughput against vsftpd). A read that
finds nothing ends the burst (pyftpdlib retries it on the next event): cheaper than asking the socket
first for every record, which cost a tenth of an upload's server time."""


class PassiveListener(PassiveDTP):  # type: ignore[misc]
    """The port announced by PASV/EPSV.

    pyftpdlib answers a connection from another address with an unsolicited ``425`` on the control
    connection, which the client then reads as the reply to its transfer command. The partner's firewall
    lets only the client's address through: the stranger is dropped in silence (and journalled), and the
    listener goes on waiting for the client, whose transfer proceeds normally.
    """

    cmd_channel: PartnerHandler

    def handle_accepted(self, sock: socket.socket, addr: tuple[Any, ...]) -> None:
        client = self.cmd_channel
        if client.connected and normal_address(addr[0]) != normal_address(client.remote_ip):
            with contextlib.suppress(OSError):
                sock.close()
            client.data_refused(f"data connection from a foreign address {addr[0]}:{addr[1]}")
            return
        super().handle_accepted(sock, addr)


class DataChannel(TLS_DTPHandler):  # type: ignore[misc]
    """A data connection: no client certificate asked, truncation detected, session reuse checked."""

    cmd_channel: PartnerHandler
    reuse_refused = False
    """The TLS session was not resumed though the partner requires it: no data moves on this connection."""
    _deferred_close: Any = None
    _paced_since = 0.0
    _paced_bytes = 0
    _paused = False  # paced by ``bandwidth``, or cut: no more data this turn of the loop

    def secure_connection(self, ssl_context: SSL.Context) -> None:
        super().secure_connection(ssl_context)
        if isinstance(self.socket, SSL.Connection):
            self.socket.set_verify(SSL.VERIFY_NONE, None)
            whole_writes(self.socket)

    def handle_read_event(self) -> None:
        super().handle_read_event()
        for _ in range(_BURST - 1):
            received = self.tot_bytes_received
            if not self._flowing():
                return
            super().handle_read_event()
            if self.tot_bytes_received == received:
                return

    def initiate_send(self) -> None:
        if self.reuse_refused or self._ssl_accepting:
            # pushing a listing or a file sends at once; OpenSSL would even finish the handshake inside
            # that first write: data waits until the handshake (and the reuse check) is done
            return
        super().initiate_send()
        for _ in range(_BURST - 1):
            sent = self.tot_bytes_sent
            if not self._flowing() or not self.producer_fifo:
                return
            super().initiate_send()
            if self.tot_bytes_sent == sent:
                return

    def _flowing(self) -> bool:
        """Whether more data may move in this turn: TLS up, not closing, not waiting, not paused."""
        waiting = self._ssl_want_read or self._ssl_want_write or self._ssl_closing
        return bool(self._ssl_established and not (self._closed or self._paused or waiting))

    def handle_failed_ssl_handshake(self) -> None:
        if self.cmd is None and self.file_obj is None:
            # no transfer is waiting on this connection (the client dropped it after a refused command):
            # a "522" now would arrive as an answer to the client's next command
            self.cmd_channel.session.record(
                "ftp.data",
                outcome="failed",
                reason="the client dropped the data connection during its TLS handshake",
            )
            self.close()
            return
        super().handle_failed_ssl_handshake()

    def handle_ssl_established(self) -> None:
        if self.cmd_channel.reuse_required() and not session_reused(self.socket):
            self.reuse_refused = True
            self.cmd_channel.data_refused(REUSE_REFUSAL)
            if self._initialized:  # the transfer command came first (ftplib): it gets the 522 now
                self.cmd_channel.incomplete_reason = f"the data connection was refused ({REUSE_REFUSAL})"
                self.refuse(f"522 {REUSE_REFUSAL}")
            # else (curl finishes the handshake before sending TYPE): like vsftpd, the transfer command
            # gets the 522 when it comes (PartnerHandler); sent now, it would answer the client's "TYPE"
        elif self._deferred_close is not None:
            self.close()

    def refuse(self, reply: str | None, *, abort: bool = False) -> None:
        """End the connection with ``reply`` to the transfer waiting on it (None: the caller answers).

        ``abort``: the client is still sending, so the TLS shutdown would wait for it, and its end of
        file would mark the upload complete meanwhile: close at once, as pyftpdlib does on an error.
        """
        if self._closed:
            return
        self.transfer_finished = False
        self._resp = (reply, log.debug) if reply else ()
        if not abort:
            self.close()
            return
        with self.cmd_channel.replies_held():
            DTPHandler.close(self)

    def close(self) -> None:
        if not self._closed and self._ssl_accepting and not self._error and self._deferred_close is None:
            # an empty listing is "sent" before the client finished the TLS handshake: closing now would
            # break the client's handshake, so finish it first (but never wait more than a few seconds)
            self._deferred_close = self.ioloop.call_later(5, self._close_anyway, _errback=self.handle_error)
            return
        if self._deferred_close is not None and not self._deferred_close.cancelled:
            self._deferred_close.cancel()
        if not self._closed and self.receive and self.transfer_finished and self._truncated():
            # the TCP connection ended without TLS close_notify: the client never said the file was done
            self.transfer_finished = False
            self._resp = ("426 Connection closed; transfer aborted.", log.debug)
            self.cmd_channel.incomplete_reason = (
                "the data connection closed without TLS close_notify (a truncated transfer)"
            )
        with self.cmd_channel.replies_held():  # journal the end of the transfer, then send the 226
            super().close()

    def recv(self, buffer_size: int) -> bytes:
        chunk: bytes = super().recv(buffer_size)
        if chunk and self.receive and self.file_obj is not None:
            refusal = self.cmd_channel.storage_refusal(self.file_obj.name, len(chunk))
            if refusal is not None:  # the chunk is not written: the upload ends here, incomplete
                self.refuse(refusal, abort=True)
                return b""
        self._moved(len(chunk))
        return chunk

    def send(self, data: bytes) -> int:
        if not data:  # an empty listing: OpenSSL writing nothing reads as "Unexpected EOF" in pyOpenSSL
            return 0
        sent: int = super().send(data)
        self._moved(sent)
        return sent

    def _moved(self, size: int) -> None:
        """Byte-triggered scenarios (cut, restart) and the ``bandwidth`` cap, which pauses the channel."""
        if not size:
            return
        faults = self.cmd_channel.session.faults
        action = faults.moved_bytes(size)
        if action == "disconnect":
            self._paused = True
            self.cmd_channel.cut()
            return
        if action == "restart":
            self._paused = True
            self.cmd_channel.server_ref.restart_soon()
            return
        if not self._paced_bytes:
            self._paced_since = time.monotonic()
        self._paced_bytes += size
        wait = self._paced_since + faults.transfer_delay(self._paced_bytes) - time.monotonic()
        if wait > 0.005 and not self._closed:
            self._paused = True
            self.del_channel()
            self.ioloop.call_later(wait, self._resume, _errback=self.handle_error)

    def _resume(self) -> None:
        if not self._closed:
            self._paused = False
            self.add_channel(events=self.ioloop.READ if self.receive else self.ioloop.WRITE)

    def _close_anyway(self) -> None:
        self._ssl_accepting = False
        self.close()

    def _truncated(self) -> bool:
        return (
            isinstance(self.socket, SSL.Connection)
            and self._ssl_established
            and not self.socket.get_shutdown() & SSL.RECEIVED_SHUTDOWN
        )
