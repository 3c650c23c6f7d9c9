"""pyftpdlib handlers for one FTPS endpoint: thin subclasses that journal and ask the partner.

``FtpsServer`` builds a subclass of these per endpoint (never mutating pyftpdlib's own classes). Every
command goes through :meth:`PartnerHandler.log_cmd`, which pyftpdlib calls with the reply code: that is
where the journal learns what happened. Transfers end in :meth:`PartnerHandler.log_transfer`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from OpenSSL import SSL
from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler

from ...scenarios import Scenarios
from ...session import Session
from ...storage import AccessRefused, Location
from ._access import HomeFilesystem, PartnerAuthorizer
from ._tls import TlsCheck, peer_common_name, session_reused, whole_writes

if TYPE_CHECKING:
    from ._server import FtpsServer

__all__ = ["DataChannel", "PartnerHandler"]

log = logging.getLogger("mockpartners.ftps")

_TRANSFERS = frozenset({"LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"})
_KINDS = {
    "LIST": "fs.list",
    "NLST": "fs.list",
    "MLSD": "fs.list",
    "RETR": "fs.open",
    "STOR": "fs.open",
    "STOU": "fs.open",
    "APPE": "fs.open",
    "DELE": "fs.remove",
    "RMD": "fs.rmdir",
    "XRMD": "fs.rmdir",
    "MKD": "fs.mkdir",
    "XMKD": "fs.mkdir",
    "RNFR": "fs.rename",
    "RNTO": "fs.rename",
    "MFMT": "fs.setstat",
    "SITE CHMOD": "fs.setstat",
    "SIZE": "fs.stat",
    "MDTM": "fs.stat",
    "MLST": "fs.stat",
    "STAT": "fs.stat",
    "CWD": "fs.cwd",
    "XCWD": "fs.cwd",
    "CDUP": "fs.cwd",
    "XCUP": "fs.cwd",
}
_UPLOADS = frozenset({"STOR", "STOU", "APPE"})
_POLICY = ("SSL/TLS required", "Not enough privileges", "Active mode", "Login incorrect")
_ALERTS = {
    40: "no client certificate (or no common parameters)",
    42: "bad client certificate",
    45: "client certificate expired",
    48: "client certificate not issued by the partner's CA (untrusted issuer)",
    70: "TLS version below the partner's minimum",
    71: "TLS version below the partner's minimum",
    116: "no client certificate",
}


_BURST = 16
"""Reads (one TLS record each) or sends (one chunk each) per readiness event; pyftpdlib does one, so a
transfer paid a turn of the loop per 16 KiB record (bench/: FTPS throughput against vsftpd). A read that
finds nothing ends the burst (pyftpdlib retries it on the next event): cheaper than asking the socket
first for every record, which cost a tenth of an upload's server time."""


class DataChannel(TLS_DTPHandler):  # type: ignore[misc]
    """A data connection: no client certificate asked, truncation detected, session reuse checked."""

    cmd_channel: PartnerHandler
    _deferred_close: Any = None
    _paced_since = 0.0
    _paced_bytes = 0
    _paused = False  # paced by ``bandwidth``, or cut: no more data this turn of the loop
    _reuse_refused = False  # the TLS session was not reused though the partner requires it

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
        required = self.cmd_channel.scenarios.active("session-reuse-required") is not None
        if required and not session_reused(self.socket):
            self._reuse_refused = True
            if self._initialized:
                self._refuse_reuse()
            # else: clients such as curl finish the handshake before sending the transfer command; like
            # vsftpd, answer that command with the 522 (sent now, it would answer the client's "TYPE")
        elif self._deferred_close is not None:
            self.close()

    def push(self, data: bytes) -> None:
        super().push(data)
        if self._reuse_refused:
            self._refuse_reuse()

    def push_with_producer(self, producer: Any) -> None:
        super().push_with_producer(producer)
        if self._reuse_refused:
            self._refuse_reuse()

    def enable_receiving(self, type: str, cmd: str) -> None:
        super().enable_receiving(type, cmd)
        if self._reuse_refused:
            self._refuse_reuse()

    def _refuse_reuse(self) -> None:
        if self._closed:
            return
        self.cmd_channel.session_refused_data("SSL connection failed: session reuse required")
        self.transfer_finished = False
        self._resp = ("522 SSL connection failed: session reuse required", log.debug)
        self.close()

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
            self.cmd_channel.truncated = True
        with self.cmd_channel.replies_held():  # journal the end of the transfer, then send the 226
            super().close()

    def recv(self, buffer_size: int) -> bytes:
        chunk: bytes = super().recv(buffer_size)
        self._moved(len(chunk))
        return chunk

    def send(self, data: bytes) -> int:
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
            self.ioloop.call_later(0, self.cmd_channel.server_ref.restart, _errback=self.handle_error)
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


class PartnerHandler(TLS_FTPHandler):  # type: ignore[misc]
    """The control connection of one client."""

    server_ref: ClassVar[FtpsServer]

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        self.session: Session = None  # type: ignore[assignment]  # set in handle()
        self.tls_check = TlsCheck()
        self.refusal: str | None = None
        self.truncated = False
        self._raw_argument = ""
        self._rename_source: Location | None = None
        self._uploads: dict[str, Location] = {}
        self._held_replies: list[Any] | None = None  # replies (str), producers, None: close when done
        super().__init__(conn, server, ioloop)
        self.authorizer = PartnerAuthorizer(self)

    @property
    def scenarios(self) -> Scenarios:
        return self.server_ref.partner.scenarios

    def cut(self) -> None:
        """Cut the client off like a broken network: control and data connections, no goodbye."""
        for channel in (self.data_channel, self):
            raw = getattr(channel, "socket", None)
            with contextlib.suppress(OSError, SSL.Error):
                if isinstance(raw, SSL.Connection):
                    raw.sock_shutdown(socket.SHUT_RDWR)
                elif raw is not None:
                    raw.shutdown(socket.SHUT_RDWR)

    # -- connection ---------------------------------------------------------------------------------------

    def handle(self) -> None:
        endpoint = self.server_ref
        self.session = endpoint.partner.new_session("ftps", self.remote_ip, self.remote_port)
        refusal = self.session.connected(endpoint.limits, endpoint=endpoint.name)
        if refusal is not None:
            if refusal.kind == "banned":
                self.respond("421 Too many failed logins from your address: try again later.")
            else:
                self.respond("421 Too many connections from your internet address.")
            self.close_when_done()
            return
        if not endpoint.address_listed(self.remote_ip):
            self.session.record(
                "session.refused", outcome="refused", reason="address on no account's allowlist"
            )
            if endpoint.spec.unlisted_address == "silence":
                self.del_channel()  # like a firewall that drops: the client waits for a banner in vain
                self.ioloop.call_later(120, self.close, _errback=self.handle_error)
            else:
                self.close()
            return
        super().handle()

    def on_disconnect(self) -> None:
        for location in list(self._uploads.values()):
            self._upload_ended(location, complete=False, reason="the client disconnected before the transfer")
        if self.session is not None:
            self.session.ended("client closed")

    def secure_connection(self, ssl_context: SSL.Context) -> None:
        super().secure_connection(ssl_context)
        if isinstance(self.socket, SSL.Connection):
            self.socket.set_app_data(self.tls_check)

    def handle_ssl_established(self) -> None:
        self.session.record(
            "session.tls",
            version=self.socket.get_protocol_version_name(),
            cipher=self.socket.get_cipher_name(),
            client_certificate=peer_common_name(self.socket)[1],
        )

    def handle_failed_ssl_handshake(self) -> None:
        alert = self.tls_check.alert
        reason = self.tls_check.error or _ALERTS.get(alert or 0) or f"TLS handshake failed (alert {alert})"
        self.session.record("session.tls", outcome="refused", reason=reason, alert=self.tls_check.alert)
        super().handle_failed_ssl_handshake()

    # -- login --------------------------------------------------------------------------------------------

    def login_refusal(self, username: str) -> str:
        """Why ``username`` may not log in ("" if it may); journals the attempt either way."""
        reason = self._why_refused(username)
        self.session.auth_attempt(
            username, "certificate", not reason, reason, certificate_cn=peer_common_name(self.socket)[1]
        )
        if not reason:
            self.session.logged_in(username, "certificate")
        return reason

    def _why_refused(self, username: str) -> str:
        endpoint = self.server_ref
        if not endpoint.has_account(username):
            return f"unknown account {username!r}"
        if not endpoint.address_allowed(username, self.remote_ip):
            return f"address {self.remote_ip} is not on the account's allowlist"
        if endpoint.spec.client_certificate == "required":
            presented, cn = peer_common_name(self.socket)
            if not presented:
                return "no client certificate"
            if self.scenarios.active("client-certificate-wrong-cn") is not None:
                return f"certificate CN {cn!r} is not the user name {username!r} (scenario)"
            if cn != username:
                return f"certificate CN {cn!r} is not the user name {username!r}"
        return ""

    # -- commands -----------------------------------------------------------------------------------------

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        delay = self.session.faults.reply_delay() if self.session is not None else 0.0
        if delay:
            self.ioloop.call_later(delay, self._process_now, line, cmd, arg, _errback=self.handle_error)
        else:
            self._process_now(line, cmd, arg)

    def _process_now(self, line: str, cmd: str, arg: str) -> None:
        if self._closed:
            return
        self._raw_argument = arg
        self.refusal = None
        if self.fs is not None and arg and cmd in _KINDS and not self._acceptable_path(cmd, arg):
            return
        super().pre_process_command(line, cmd, arg)

    def _acceptable_path(self, cmd: str, arg: str) -> bool:
        """Refuse names that cannot exist here (control characters, too long) with FTP's own 553."""
        path = arg.split(" ", 1)[1] if cmd in ("MFMT", "SITE CHMOD") and " " in arg else arg
        try:
            self.fs.home.resolve(path, self.fs.cwd)
        except AccessRefused as refusal:
            if refusal.kind != "invalid_name":
                return True  # pyftpdlib answers "no such file" itself
            self.refusal = refusal.reason
            self.respond(f"553 File name not allowed: {refusal.reason}.")
            self.log_cmd(cmd, "", 553, refusal.reason)
            return False
        return True

    @contextlib.contextmanager
    def replies_held(self) -> Iterator[None]:
        """Send replies only after the journal has the event: a client that reads its reply and asks the
        journal at once (a test, a contract report) always finds it there."""
        if self._held_replies is not None:
            yield
            return
        self._held_replies = []
        try:
            yield
        finally:
            held, self._held_replies = self._held_replies, None
            for data in held:
                if data is None:
                    super().close_when_done()
                elif isinstance(data, str):
                    super().push(data)
                else:
                    super().push_with_producer(data)

    def push(self, data: str) -> None:
        if self._held_replies is not None:
            self._held_replies.append(data)
        else:
            super().push(data)

    def push_with_producer(self, producer: Any) -> None:
        """``STAT path`` sends its listing through a producer, between two replies: held in order too."""
        if self._held_replies is not None:
            self._held_replies.append(producer)
        else:
            super().push_with_producer(producer)

    def close_when_done(self) -> None:
        """Close after the replies: held ones included (QUIT's "221" comes before the end)."""
        if self._held_replies is not None:
            self._held_replies.append(None)
        else:
            super().close_when_done()

    def process_command(self, cmd: str, *args: Any, **kwargs: Any) -> None:
        if cmd == "AUTH":  # its reply must go out in clear, before the TLS handshake starts
            self._process_command(cmd, *args, **kwargs)
            return
        with self.replies_held():
            self._process_command(cmd, *args, **kwargs)

    def _process_command(self, cmd: str, *args: Any, **kwargs: Any) -> None:
        if cmd in ("PORT", "EPRT"):
            self.respond("502 Active mode is not supported: use PASV or EPSV.")
            self.log_cmd(cmd, args[0] if args else "", 502, "Active mode is not supported")
            return
        if cmd in _TRANSFERS and self.scenarios.active("prot-c-refused") is not None and not self._prot:
            self.respond("522 SSL/TLS required on the data channel.")
            self.log_cmd(cmd, args[0] if args else "", 522, "SSL/TLS required on the data channel.")
            return
        if cmd in _UPLOADS and self._write_refused(cmd, args[0] if args else ""):
            return
        if cmd in ("PASV", "EPSV") and self.scenarios.active("passive-port-closed") is not None:
            self._announce_closed_port(cmd)
            return
        super().process_command(cmd, *args, **kwargs)

    def _write_refused(self, cmd: str, arg: str) -> bool:
        """Scenarios ``disk-full``, ``fail-nth-write`` and ``fail-writes`` refuse the upload outright."""
        failure = self.session.faults.write_failure()
        if failure is None:
            return False
        reply = (
            (452, "Insufficient storage space.")
            if failure == "disk-full"
            else (451, "Requested action aborted: local error in processing.")
        )
        self.respond(f"{reply[0]} {reply[1]}")
        self.log_cmd(cmd, arg, *reply)
        return True

    def _announce_closed_port(self, cmd: str) -> None:
        """Scenario ``passive-port-closed``: announce a port of the range where nothing listens."""
        port = _closed_port(self.server_ref.spec.passive_range(), self.server_ref.host)
        if cmd == "EPSV":
            reply = f"229 Entering extended passive mode (|||{port}|)."
        else:
            high, low = divmod(port, 256)
            address = self.socket.getsockname()[0].replace(".", ",")
            reply = f"227 Entering passive mode ({address},{high},{low})."
        self.respond(reply)
        self.log_cmd(cmd, "", int(reply[:3]), reply[4:])
        self.session.faults.fired("passive-port-closed", f"announced port {port}, where nothing listens")

    def session_refused_data(self, reason: str) -> None:
        self.session.record("ftp.data", outcome="refused", reason=reason)

    def log_cmd(self, cmd: str, arg: str, respcode: int, respstr: str) -> None:
        refused = (
            self.refusal is not None or respcode in (502, 522, 530, 534, 553) or respstr.startswith(_POLICY)
        )
        outcome = "ok" if respcode < 400 else "refused" if refused else "failed"
        detail: dict[str, Any] = {"command": cmd, "reply": respcode}
        if outcome != "ok":
            detail["reason"] = self.refusal or respstr
        kind = _KINDS.get(cmd) if self.session.home is not None else None
        if kind is None:
            if cmd not in ("USER", "PASS") or outcome != "ok":
                argument = "" if cmd == "PASS" else self._raw_argument
                self.session.record("ftp.command", outcome=outcome, argument=argument, **detail)
            return
        location = self._location(arg)
        path = location.relative if location else self._raw_argument
        if cmd == "RNFR":
            self._rename_source = location if outcome == "ok" else None
            if outcome == "ok":
                return
        if cmd == "RNTO":
            self._renamed(location, outcome, detail)
            return
        if cmd in _UPLOADS or cmd == "RETR":
            detail["mode"] = "read" if cmd == "RETR" else "append" if cmd == "APPE" else "write"
        self.session.record(kind, path, outcome, **detail)
        if cmd in _UPLOADS and outcome == "ok" and location is not None:
            self._uploads[str(location.real)] = location
            self.session.upload_started(location)

    def _renamed(self, target: Location | None, outcome: str, detail: dict[str, Any]) -> None:
        source, self._rename_source = self._rename_source, None
        path = source.relative if source else self._raw_argument
        detail["target"] = target.relative if target else self._raw_argument
        partner = self.session.partner
        arrived = outcome == "ok" and target is not None and partner.watches(target.relative)
        if arrived and target is not None:
            detail["arrival"] = target.relative
        event = self.session.record("fs.rename", path, outcome, **detail)
        if arrived and target is not None and self.session.account:
            partner.file_arrived(self.session.account, target.relative, event)

    def log_transfer(
        self, cmd: str, filename: str, receive: bool, completed: bool, elapsed: float, bytes: int
    ) -> None:
        location = self._uploads.pop(filename, None) if receive else self._location(filename)
        if location is None:
            return
        if receive:
            reason = {} if completed else {"reason": self._incomplete_reason()}
            self._upload_ended(
                location, completed, command=cmd, bytes_written=bytes, seconds=elapsed, **reason
            )
            return
        self.session.record(
            "fs.close", location.relative, mode="read", complete=completed, bytes_read=bytes, seconds=elapsed
        )

    def _upload_ended(self, location: Location, complete: bool, **detail: Any) -> None:
        self._uploads.pop(str(location.real), None)
        self.session.upload_ended(location, complete=complete, **detail)

    def _incomplete_reason(self) -> str:
        if self.truncated:
            self.truncated = False
            return "the data connection closed without TLS close_notify (a truncated transfer)"
        return "the transfer was aborted before the end of the file"

    def _location(self, path: str) -> Location | None:
        if not path or self.fs is None:
            return None
        try:
            return self.fs.location(path)  # type: ignore[no-any-return]
        except AccessRefused:
            return None


def _closed_port(ports: range, host: str) -> int:
    """A port of the passive range that nothing listens on right now."""
    for port in random.sample(ports, min(len(ports), 50)):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    return ports[0]


def handler_classes(server: FtpsServer) -> type[PartnerHandler]:
    """A handler class (and its data channel class) bound to one endpoint."""
    spec = server.spec
    data_channel = type(f"{server.class_prefix}DataChannel", (DataChannel,), {})
    attributes: dict[str, Any] = {
        "server_ref": server,
        "ssl_context": server.ssl_context,
        "dtp_handler": data_channel,
        "abstracted_fs": HomeFilesystem,
        "tls_control_required": spec.tls_before_login,
        "tls_data_required": False,  # checked per transfer: see process_command
        "passive_ports": list(spec.passive_range()),
        "masquerade_address": spec.passive_address,
        "permit_foreign_addresses": False,
        "permit_privileged_ports": False,
        "auth_failed_timeout": spec.failed_login_delay.total_seconds(),
        "banner": spec.banner,
        "use_sendfile": False,
    }
    return type(f"{server.class_prefix}Handler", (PartnerHandler,), attributes)


__all__ += ["handler_classes"]
