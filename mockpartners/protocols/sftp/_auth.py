"""SSH connections and authentication as the partner's profile says: which methods are offered, which succeed.

ONSS offers password and keyboard-interactive but accepts only keys, so a client without a key meets a
password prompt that never succeeds (guide 4.3.3) and a client with an unknown key hears
"Server refused our key" (4.3.2). Every attempt is journalled with its method, key and fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import asyncssh

from ...session import Session
from ._cork import cork

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
        self._method = "publickey"
        self._seen_keys: set[tuple[str, str]] = set()
        self._connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        cork(conn)
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
        session.disconnect_reason = str(exc) if exc else "client closed"
        if self.sftp_channels == 0:
            session.ended(session.disconnect_reason)

    def sftp_exited(self) -> None:
        """An SFTP channel finished its cleanup: the session ends after its last file is closed."""
        self.sftp_channels -= 1
        session = self._session()
        if session.lost and self.sftp_channels == 0:
            session.ended(session.disconnect_reason)

    def begin_auth(self, username: str) -> bool:
        self._session().username = username
        return True

    def public_key_auth_supported(self) -> bool:
        if self.endpoint.partner.scenarios.active("no-publickey") is not None:
            return False
        return "publickey" in self.spec.auth_offered

    def password_auth_supported(self) -> bool:
        return "password" in self.spec.auth_offered

    def kbdint_auth_supported(self) -> bool:
        return "keyboard-interactive" in self.spec.auth_offered

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint("sha256")
        reason = self._refusal(username, "publickey")
        offered = tuple(key.export_public_key().decode().split()[:2])
        if not reason and offered not in self.endpoint.authorized(username):
            reason = "this key is not registered for the account (Server refused our key)"
        if not reason and self.endpoint.partner.scenarios.active("refuse-keys") is not None:
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
        if not reason:
            self._method = "publickey"
        return not reason

    def validate_password(self, username: str, password: str) -> bool:
        reason = self._refusal(username, "password") or self.endpoint.check_password(username, password)
        self._session().auth_attempt(username, "password", not reason, reason)
        if not reason:
            self._method = "password"
        return not reason

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "en-US", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: Sequence[str]) -> bool:
        password = responses[0] if responses else ""
        reason = self._refusal(username, "keyboard-interactive") or self.endpoint.check_password(
            username, password
        )
        self._session().auth_attempt(username, "keyboard-interactive", not reason, reason)
        if not reason:
            self._method = "keyboard-interactive"
        return not reason

    def auth_completed(self) -> None:
        session = self._session()
        session.logged_in(session.username or "", self._method)

    def _refusal(self, username: str, method: str) -> str:
        pattern = self.endpoint.partner.profile.username_pattern
        if pattern and not re.fullmatch(pattern, username):
            return f"user name {username!r} does not match {pattern}"
        if method not in self.spec.auth_accepted:
            accepted = ", ".join(self.spec.auth_accepted)
            return f"{method} authentication is offered but never accepted (accepted: {accepted})"
        if not self.endpoint.has_account(username):
            return f"unknown account {username!r}"
        return ""

    def _session(self) -> Session:
        assert self.session is not None, "connection_made always runs first"
        return self.session
