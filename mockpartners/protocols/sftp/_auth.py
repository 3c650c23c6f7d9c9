"""SSH connections and authentication as the partner's profile says: which methods are offered, which succeed.

ONSS offers password and keyboard-interactive but accepts only keys, so a client without a key meets a
password prompt that never succeeds (guide 4.3.3) and a client with an unknown key hears
"Server refused our key" (4.3.2). Every attempt is journalled with its method, key and fingerprint.
Whether it succeeds is the account book's answer (``ports/accounts.py``), the same on every protocol: the
endpoint offers the methods, each account may use some of them, from its allowlist's addresses.

As OpenSSH's sshd, a connection gets ``limits.auth_attempts`` refused attempts (MaxAuthTries, 6), then
"Too many authentication failures" (disconnect reason 2, protocol error, what sshd sends): enough for
``ssh -i wrong -i right``, not for a client trying 200 keys. A connection whose address was banned while it
was trying (failed logins count at once, whatever connection made them) is cut at its next attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncssh
from asyncssh.constants import MSG_SERVICE_ACCEPT, MSG_SERVICE_REQUEST
from asyncssh.packet import SSHPacket, String

from ...ports.accounts import AccountAuth
from ...ports.session import Session
from ...scenarios import names
from ._cork import cork
from ._subsystem import PartnerSftpHandler, SftpSubsystem

if TYPE_CHECKING:
    from ._endpoint import SftpServer

__all__ = ["SshConnection"]


class SshConnection(asyncssh.SSHServer):
    """One SSH connection: owns the protocol-agnostic session for it."""

    def __init__(self, endpoint: SftpServer) -> None:
        self.endpoint = endpoint
        self.spec = endpoint.spec
        self.session: Session | None = None
        self.sftp_channels = 0
        self.sftp_handlers: set[PartnerSftpHandler] = set()
        self._method = "publickey"
        self._seen_keys: set[tuple[str, str]] = set()
        self._failures = 0
        self._connection: asyncssh.SSHServerConnection | None = None
        self._cut_because = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        cork(conn)
        accept_repeated_userauth_requests(conn)
        self.endpoint.connections.add(conn)
        host, port = conn.get_extra_info("peername", ("", 0))[:2]
        self.session = self.endpoint.partner.new_session("sftp", host, port)
        conn.set_extra_info(mockpartners_session=self.session)
        if self.session.connected(self.endpoint.limits, endpoint=self.endpoint.name) is not None:
            # like OpenSSH's PerSourcePenalties and MaxStartups: closed before the greeting, so no version
            # string goes out
            conn.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self.endpoint.connections.discard(self._connection)
        session = self._session()
        session.lost = True
        session.disconnect_reason = self._cut_because or (str(exc) if exc else "client closed")
        if self.sftp_channels == 0:
            session.ended(session.disconnect_reason)

    def sftp_exited(self) -> None:
        """An SFTP channel finished its cleanup: the session ends after its last file is closed."""
        self.sftp_channels -= 1
        session = self._session()
        if session.lost and self.sftp_channels == 0:
            session.ended(session.disconnect_reason)

    def session_requested(self) -> SftpSubsystem:
        return SftpSubsystem(self)

    def begin_auth(self, username: str) -> bool:
        self._session().username = username
        return True

    def public_key_auth_supported(self) -> bool:
        if self.endpoint.partner.scenarios.active(names.NO_PUBLICKEY) is not None:
            return False
        return "publickey" in self.spec.auth_offered

    def password_auth_supported(self) -> bool:
        return "password" in self.spec.auth_offered

    def kbdint_auth_supported(self) -> bool:
        return "keyboard-interactive" in self.spec.auth_offered

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        self._cut_if_banned()
        fingerprint = key.get_fingerprint("sha256")
        reason = self._refusal(username, "publickey", key=key.export_public_key().decode().split()[:2])
        if not reason and self.endpoint.partner.scenarios.active(names.REFUSE_KEYS) is not None:
            reason = "every key is refused (scenario refuse-keys): Server refused our key"
        if (username, fingerprint) not in self._seen_keys:
            # clients ask about a key, then sign with it: one journal line per key is enough
            self._seen_keys.add((username, fingerprint))
            self._session().auth_attempt(
                username,
                "publickey",
                not reason,
                reason,
                key_type=key.get_algorithm(),
                fingerprint=fingerprint,
            )
        return self._decided("publickey", reason)

    def validate_password(self, username: str, password: str) -> bool:
        self._cut_if_banned()
        reason = self._refusal(username, "password", password=password)
        self._session().auth_attempt(username, "password", not reason, reason)
        return self._decided("password", reason)

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "en-US", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: Sequence[str]) -> bool:
        self._cut_if_banned()
        password = responses[0] if responses else ""
        reason = self._refusal(username, "keyboard-interactive", password=password)
        self._session().auth_attempt(username, "keyboard-interactive", not reason, reason)
        return self._decided("keyboard-interactive", reason)

    def _decided(self, method: str, refusal: str) -> bool:
        """Whether the attempt succeeded; the connection is cut at its ``limits.auth_attempts``-th refusal,
        before the failure reply, as sshd does."""
        if not refusal:
            self._method = method
            return True
        self._failures += 1
        limit = self.endpoint.partner.profile.limits.auth_attempts
        if self._failures >= limit:
            reason = (
                f"Too many authentication failures: {self._failures} attempts refused on one connection "
                "(OpenSSH's MaxAuthTries; profile setting limits.auth_attempts)"
            )
            self._session().record("session.refused", outcome="refused", reason=reason, attempts=limit)
            raise asyncssh.DisconnectError(asyncssh.DISC_PROTOCOL_ERROR, "Too many authentication failures")
        return False

    def _cut_if_banned(self) -> None:
        """Failed logins count as they happen: an address banned by the connections it runs in parallel
        loses this one at its next attempt, as a firewall rule would cut it."""
        ban = self._session().banned()
        if ban is not None:
            self._session().record("session.refused", outcome="refused", reason=ban.reason())
            raise asyncssh.DisconnectError(
                asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                "Too many failed logins from your address: try again later.",
            )

    def auth_completed(self) -> None:
        session = self._session()
        session.logged_in(session.username or "", self._method, cut=self._cut)

    def _refusal(self, username: str, method: AccountAuth, **presented: Any) -> str:
        """The account book's answer: the same checks and reasons on every protocol."""
        return self.endpoint.partner.accounts.refusal(
            username, method, endpoint=self.endpoint.name, address=self._session().address, **presented
        )

    def _cut(self, reason: str) -> None:
        """The account changed and its live sessions are cut: disconnect, from whatever thread asks."""
        if self._connection is not None:
            self._cut_because = reason
            self.endpoint.disconnect(self._connection, "Your account was changed: log in again.")

    def _session(self) -> Session:
        assert self.session is not None, "connection_made always runs first"
        return self.session


def accept_repeated_userauth_requests(connection: asyncssh.SSHServerConnection) -> None:
    """Accept a new SERVICE_REQUEST for ssh-userauth while the client is still logging in, as sshd does.

    paramiko sends one before each authentication attempt; OpenSSH's sshd accepts it until the login
    succeeds, asyncssh only the first, then disconnects ("Unexpected service in service request"): paramiko
    with an agent or several keys never got past its first refused key, where the real server lets the
    right key in after a refusal (guide 4.3.2). asyncssh dispatches through the connection's own table, so
    replacing that table on this connection leaves asyncssh's class and every other connection as they are.
    """
    handlers = dict(connection._packet_handlers)
    asyncssh_handler = handlers[MSG_SERVICE_REQUEST]

    def service_request(conn: Any, pkttype: int, pktid: int, packet: SSHPacket) -> Any:
        service = SSHPacket(packet.get_remaining_payload()).get_string()
        if service != b"ssh-userauth" or not getattr(conn, "_auth_in_progress", False):
            return asyncssh_handler(conn, pkttype, pktid, packet)
        packet.get_string()
        packet.check_end()
        conn.send_packet(MSG_SERVICE_ACCEPT, String(service))
        return None

    handlers[MSG_SERVICE_REQUEST] = service_request
    connection._packet_handlers = handlers
