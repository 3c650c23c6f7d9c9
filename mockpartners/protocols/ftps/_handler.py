"""pyftpdlib's control connection for one FTPS endpoint: a thin subclass that journals and asks the partner.

``FtpsServer`` builds a subclass of it per endpoint (never mutating pyftpdlib's own classes). Every
command goes through :meth:`PartnerHandler.log_cmd` (see ``_journal``), which pyftpdlib calls with the
reply code: that is where the journal learns what happened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from OpenSSL import SSL

from ...infra.limits import StorageRefused
from ...ports.accounts import AccountAuth
from ...ports.session import Session
from ...ports.storage import AccessRefused
from ...scenarios import Scenarios, names
from ._access import HomeFilesystem, PartnerAuthorizer
from ._data import REUSE_REFUSAL, DataChannel
from ._journal import KINDS, TRANSFERS, UPLOADS, CommandJournal
from ._tls import TlsCheck, certificate_refused, peer_common_name
from ._tls_control import TlsControl

if TYPE_CHECKING:
    from ._server import FtpsServer

__all__ = ["ACTIVE_MODE", "PartnerHandler"]

log = logging.getLogger("mockpartners.ftps")

ACTIVE_MODE = ("PORT", "EPRT")
_GROWING = UPLOADS | {"MKD", "XMKD"}
_ALERTS = {
    40: "no client certificate (or no common parameters)",
    42: "bad client certificate",
    45: "client certificate expired",
    48: "client certificate not issued by the partner's CA (untrusted issuer)",
    70: "TLS version below the partner's minimum",
    71: "TLS version below the partner's minimum",
    116: "no client certificate",
}
_NOT_UTF8 = "file name is not valid UTF-8"


class PartnerHandler(CommandJournal, TlsControl):
    """The control connection of one client."""

    server_ref: ClassVar[FtpsServer]
    data_channel: DataChannel | None

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        self.session: Session = None  # type: ignore[assignment]  # set in handle()
        self.tls_check = TlsCheck()
        self.refusal = None
        self.incomplete_reason = None
        self._raw_argument = ""
        self._rename_source = None
        self._uploads = {}
        self._held_replies: list[Any] | None = None  # replies (str), producers, None: close when done
        self._undecodable = False
        self._room_reserved: dict[str, int] = {}  # real path: bytes reserved before its upload started
        self._cut_because = ""  # why the partner ended the session, if it did
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
        unlisted = endpoint.partner.accounts.firewall_refusal(self.remote_ip, endpoint.name)
        if self.scenarios.active(names.ADDRESS_NOT_ALLOWLISTED) is not None:
            unlisted = f"address on no account's allowlist (scenario {names.ADDRESS_NOT_ALLOWLISTED})"
        if unlisted:
            self.session.record("session.refused", outcome="refused", reason=unlisted)
            if endpoint.spec.unlisted_address == "silence":
                self.del_channel()  # like a firewall that drops: the client waits for a banner in vain
                self.ioloop.call_later(120, self.close, _errback=self.handle_error)
            else:
                self.close()
            return
        super().handle()

    def on_disconnect(self) -> None:
        for location in list(self._uploads.values()):
            self.upload_ended(location, complete=False, reason="the client disconnected before the transfer")
        if self.session is not None:
            self.session.ended(self._cut_because or "client closed")

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
        super().handle_ssl_established()

    def handle_failed_ssl_handshake(self) -> None:
        """A client certificate refused in the handshake (missing, expired, untrusted) is a failed login:
        it counts towards the address's ban like a wrong CN at ``USER``. pyftpdlib calls this from the
        handshake's ``except SSL.Error`` clause: the error is at hand to tell why it failed."""
        alert = self.tls_check.alert
        reason = self.tls_check.error or _ALERTS.get(alert or 0) or f"TLS handshake failed (alert {alert})"
        self.session.record("session.tls", outcome="refused", reason=reason, alert=self.tls_check.alert)
        if certificate_refused(self.tls_check, sys.exc_info()[1]):
            self.session.login_failed()
        super().handle_failed_ssl_handshake()

    # -- login --------------------------------------------------------------------------------------------

    def login_refusal(self, username: str, password: str) -> str:
        """Why ``username`` may not log in ("" if it may), as the account book says; journalled either way.
        The client certificate logs in where the endpoint requires one, the password otherwise."""
        endpoint = self.server_ref
        method: AccountAuth = "certificate" if endpoint.spec.client_certificate == "required" else "password"
        presented, common_name = peer_common_name(self.socket)
        reason = endpoint.partner.accounts.refusal(
            username,
            method,
            endpoint=endpoint.name,
            address=self.remote_ip,
            password=password,
            certificate_cn=common_name if presented else None,
        )
        wrong_cn = self.scenarios.active(names.CLIENT_CERTIFICATE_WRONG_CN) is not None
        if not reason and method == "certificate" and wrong_cn:
            reason = f"certificate CN {common_name!r} is not the user name {username!r} (scenario)"
        detail = {"certificate_cn": common_name} if method == "certificate" else {}
        self.session.auth_attempt(username, method, not reason, reason, **detail)
        if not reason:
            self.session.logged_in(username, method, cut=self._account_cut)
        return reason

    def _account_cut(self, reason: str) -> None:
        """The account changed and its live sessions are cut: ``421``, then the connection closes (from
        whatever thread the change came)."""

        async def cut() -> None:
            if not self._closed:
                self._cut_because = reason
                self.respond("421 Your account was changed: log in again.")
                self.close_when_done()

        self.server_ref.submit(cut())

    # -- commands -----------------------------------------------------------------------------------------

    def decode(self, bytes: bytes) -> str:
        """Names are UTF-8 (FEAT says UTF8). pyftpdlib decodes with "replace", so a Latin-1 name was
        stored as another name, which the client could never reach again: such a line is noted here and
        refused (:meth:`pre_process_command`), as the SFTP double refuses it ("Invalid filename")."""
        try:
            return bytes.decode("utf-8")
        except UnicodeDecodeError:
            self._undecodable = True
            return bytes.decode("utf-8", "replace")  # for the journal only

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        undecodable, self._undecodable = self._undecodable, False
        delay = self.session.faults.reply_delay() if self.session is not None else 0.0
        if delay:
            self.ioloop.call_later(
                delay, self._process_now, line, cmd, arg, undecodable, _errback=self.handle_error
            )
        else:
            self._process_now(line, cmd, arg, undecodable)

    def _process_now(self, line: str, cmd: str, arg: str, undecodable: bool = False) -> None:
        if self._closed:
            return
        self._raw_argument = arg
        self.refusal = None
        if undecodable and cmd in self.proto_cmds:  # an unknown command gets pyftpdlib's 500
            self._refuse_undecodable(cmd)
        elif cmd in ACTIVE_MODE:  # not in the class's commands (FEAT must not offer EPRT): 502, not 500
            self._refuse(cmd, 502, "Active mode is not supported: use PASV or EPSV.")
        elif self.fs is None or not arg or cmd not in KINDS or self._acceptable_path(self.fs, cmd, arg):
            super().pre_process_command(line, cmd, arg)

    def _refuse(self, cmd: str, code: int, text: str, arg: str = "") -> None:
        """Answer ``cmd`` with a refusal (``arg``: the real path pyftpdlib made of its argument, if any)."""
        with self.replies_held():
            self.respond(f"{code} {text}")
            self.log_cmd(cmd, arg, code, text)

    def _refuse_undecodable(self, cmd: str) -> None:
        self.refusal = _NOT_UTF8
        if self.fs is not None and (cmd in KINDS or cmd == "SITE"):
            self._refuse(cmd, 553, f"File name not allowed: {_NOT_UTF8}.")
        else:
            self._refuse(cmd, 501, "Can't decode command: it is not valid UTF-8.")

    def _acceptable_path(self, fs: HomeFilesystem, cmd: str, arg: str) -> bool:
        """Refuse names that cannot exist here (control characters, too long) with FTP's own 553."""
        path = arg.split(" ", 1)[1] if cmd == "MFMT" and " " in arg else arg
        try:
            fs.home.resolve(path, fs.cwd)
        except AccessRefused as refusal:
            if refusal.kind != "invalid_name":
                return True  # pyftpdlib answers "no such file" itself
            self.refusal = refusal.reason
            self._refuse(cmd, 553, f"File name not allowed: {refusal.reason}.")
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
            self.release_replies()

    def release_replies(self) -> None:
        """Send the held replies in order (``None`` among them: close once they are out)."""
        held, self._held_replies = self._held_replies or [], None
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
        arg = args[0] if args else ""
        if cmd in TRANSFERS and self.scenarios.active(names.PROT_C_REFUSED) is not None and not self._prot:
            self._refuse(cmd, 522, "SSL/TLS required on the data channel.", arg)
        elif cmd in TRANSFERS and self.data_channel is not None and self.data_channel.reuse_refused:
            self._refuse_data_channel(cmd, arg)
        elif self._write_refused(cmd, arg) or self._storage_refused(cmd, arg):
            return
        elif cmd in ("PASV", "EPSV") and self.scenarios.active(names.PASSIVE_PORT_CLOSED) is not None:
            self._announce_closed_port(cmd)
        else:
            super().process_command(cmd, *args, **kwargs)

    def _refuse_data_channel(self, cmd: str, arg: str) -> None:
        """The data connection already failed the reuse check: the transfer is refused before pyftpdlib
        opens (and, for STOR, truncates) the file; vsftpd answers the transfer command the same way."""
        assert self.data_channel is not None
        self.refusal = REUSE_REFUSAL
        self._refuse(cmd, 522, REUSE_REFUSAL, arg)
        self.data_channel.refuse(None)

    def _write_refused(self, cmd: str, arg: str) -> bool:
        """Scenarios ``disk-full``, ``fail-nth-write`` and ``fail-writes`` refuse the upload outright."""
        failure = self.session.faults.write_failure() if cmd in UPLOADS else None
        if failure is None:
            return False
        if failure == names.DISK_FULL:
            self._refuse(cmd, 452, "Insufficient storage space.", arg)
        else:
            self._refuse(cmd, 451, "Requested action aborted: local error in processing.", arg)
        return True

    def _storage_refused(self, cmd: str, arg: str) -> bool:
        """An upload needs room for its first byte, a new name counts as a file (``limits``): refused up
        front when the account's quota, its file count or the disk's reserve is used up."""
        fs = self.fs
        if cmd not in _GROWING or fs is None:
            return False
        real = fs.ftp2fs(arg or fs.cwd) if cmd == "STOU" else arg
        location = self.location(real)
        if location is None:
            return False
        new_files = 1 if cmd == "STOU" or not os.path.lexists(real) else 0
        first_byte = 0 if cmd in ("MKD", "XMKD") else 1
        try:
            self.session.reserve_storage(location, first_byte, new_files)
        except StorageRefused as refusal:
            self.refusal = refusal.reason
            self._refuse(cmd, *_storage_reply(refusal), real)
            return True
        if first_byte and cmd != "STOU":
            self._room_reserved[real] = first_byte
        return False

    def storage_refusal(self, path: str, size: int) -> str | None:
        """The reply that ends an upload whose next ``size`` bytes find no room (None: go on)."""
        location = self._uploads.get(path)
        if location is None:
            return None
        try:
            self.session.reserve_storage(location, size - self._room_reserved.pop(path, 0))
        except StorageRefused as refusal:
            self.incomplete_reason = refusal.reason
            return " ".join(str(part) for part in _storage_reply(refusal))
        return None

    def reuse_required(self) -> bool:
        return self.scenarios.active(names.SESSION_REUSE_REQUIRED) is not None

    def data_refused(self, reason: str) -> None:
        self.session.record("ftp.data", outcome="refused", reason=reason)

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
        self.session.faults.fired(names.PASSIVE_PORT_CLOSED, f"announced port {port}, where nothing listens")


def _storage_reply(refusal: StorageRefused) -> tuple[int, str]:
    """RFC 959's replies: 552 for the account's allocation (bytes or files), 452 for the disk."""
    if refusal.kind == "disk":
        return 452, "Insufficient storage space."
    return 552, "Requested file action aborted. Exceeded storage allocation."


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
