"""The account book: one place that answers "may this login in, from this address, by this method, on this
endpoint?", for every protocol, and that changes while the partner serves.

Every refusal has one reason, the same whatever the protocol (the journal's ``auth.attempt`` says it; on
the wire each protocol refuses its own way: an SSH authentication failure, FTP's ``530``). The book is
read by every new login, so a change (a new password, a key, the endpoints an account may use, its
allowlist) applies at once; live sessions of a changed account go on, or are cut when the change asks.
The profile stays the single source: a reset or a restart brings back the profile's accounts.

Thread-safe: SFTP asks from the suite's asyncio loop, FTPS from its own thread, the admin API and tests
from theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from ..infra.journal import Event, Journal
from ..model._schema import Profile, login_methods
from ..model._types import AccountAuth
from ..model.errors import UnknownAccountError
from ..scenarios import Scenarios, connection_type_refusal, password_refusal
from ._account_changes import AccountChanges
from ._account_entry import KEEP, AccountEntry, AccountError, Keep, normal_address

__all__ = [
    "KEEP",
    "AccountAuth",
    "AccountBook",
    "AccountEntry",
    "AccountError",
    "Cut",
    "Keep",
    "LiveSession",
    "normal_address",
]

log = logging.getLogger("mockpartners.accounts")

Cut = Callable[[str], None]
"""How an adapter ends one of its sessions (the argument: why, for its own log): SFTP disconnects, FTP
answers ``421`` and closes."""


class LiveSession(Protocol):
    """A logged-in session, as the book sees it (:class:`~mockpartners.ports.session.Session` is one)."""

    @property
    def id(self) -> str: ...

    def record(self, kind: str, path: str | None = None, outcome: str = "ok", **detail: Any) -> Event: ...


class AccountBook(AccountChanges):
    """A partner's accounts while it serves: lookups, login decisions, live sessions, changes."""

    def __init__(
        self,
        partner: str,
        profile: Profile,
        journal: Journal,
        *,
        prepare: Callable[[AccountEntry], None] = lambda entry: None,
        changed: Callable[[], None] = lambda: None,
        moved: Callable[[str, str], None] = lambda old, new: None,
        scenarios: Scenarios | None = None,
    ) -> None:
        self.partner = partner
        self.scenarios = scenarios
        """The partner's scenarios, which may refuse a login the account allows (``password-refused``...)."""
        self.profile = profile
        self.journal = journal.bind(partner=partner)
        self._prepare = prepare
        self._changed = changed
        self._moved = moved
        """An account renamed: the partner moves its home and credentials (old name, new name)."""
        self._lock = threading.Lock()
        self._loaded: dict[str, AccountEntry] = {}
        self._entries: dict[str, AccountEntry] = {}
        self._sessions: dict[str, dict[str, tuple[LiveSession, Cut]]] = {}

    # -- the book as a whole ------------------------------------------------------------------------------

    def load(self, entries: Iterable[AccountEntry]) -> None:
        """The profile's accounts, with the credentials the state directory holds for them."""
        with self._lock:
            self._loaded = {entry.username: entry for entry in entries}
            self._entries = dict(self._loaded)

    def reset(self) -> None:
        """Back to the profile's accounts (live sessions go on)."""
        with self._lock:
            changed = self._entries != self._loaded
            self._entries = dict(self._loaded)
        if changed:
            self._changed()

    def get(self, username: str) -> AccountEntry | None:
        with self._lock:
            return self._entries.get(username)

    def entry(self, username: str) -> AccountEntry:
        """The account called ``username``, or an :class:`UnknownAccountError` naming those there are."""
        entry = self.get(username)
        if entry is None:
            raise self._unknown(username, self.usernames())
        return entry

    def _unknown(self, username: str, known: Iterable[str]) -> UnknownAccountError:
        return UnknownAccountError(
            f"{self.partner} has no account {username!r} (it has {', '.join(known) or 'none'})"
        )

    def entries(self) -> list[AccountEntry]:
        with self._lock:
            return list(self._entries.values())

    def usernames(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[AccountEntry]:
        return iter(self.entries())

    def __contains__(self, username: object) -> bool:
        with self._lock:
            return username in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # -- decisions ----------------------------------------------------------------------------------------

    def firewall_refusal(self, address: str, endpoint: str) -> str:
        """MAGDA's firewall: an address on no allowlist of the accounts that may use ``endpoint`` never
        reaches the server ("" when it may); an account without an allowlist opens the endpoint to all, and
        so does having no account that may use it (the server answers, and refuses every login: Lucca's
        FTPES when every account is SFTP-only)."""
        address = normal_address(address)
        users = [entry for entry in self.entries() if entry.may_use(endpoint)]
        if not users or any(entry.addresses is None or address in entry.addresses for entry in users):
            return ""
        return "address on no account's allowlist"

    def refusal(
        self,
        username: str,
        method: AccountAuth,
        *,
        endpoint: str,
        address: str,
        password: str | None = None,
        key: Sequence[str] | None = None,
        certificate_cn: str | None = None,
    ) -> str:
        """Why ``username`` may not log in by ``method`` on ``endpoint`` from ``address`` with what it
        presented (a password, a key as algorithm and base64, a client certificate's CN); "" if it may."""
        reason = self._endpoint_refusal(username, method, endpoint)
        entry = self.get(username)
        if not reason and entry is None:
            reason = f"unknown account {username!r}"
        if reason or entry is None:
            return reason
        reason = self._account_refusal(entry, method, endpoint, address)
        if reason:
            return reason
        if method == "publickey":
            return "" if key and tuple(key[:2]) in entry.key_ids else _KEY_REFUSED
        if method == "certificate":
            return _certificate_refusal(username, certificate_cn)
        if not _same_password(entry.password, password):
            return "wrong password"
        return password_refusal(self.scenarios, username)

    def _endpoint_refusal(self, username: str, method: AccountAuth, endpoint: str) -> str:
        pattern = self.profile.username_pattern
        if pattern and not re.fullmatch(pattern, username):
            return f"user name {username!r} does not match {pattern}"
        accepted = login_methods(self.profile.endpoints[endpoint])
        if method not in accepted:
            shown = ", ".join(sorted(accepted))
            return f"{method} authentication is offered but never accepted (accepted: {shown})"
        return ""

    def _account_refusal(self, entry: AccountEntry, method: AccountAuth, endpoint: str, address: str) -> str:
        username = entry.username
        if entry.account.server is not None:
            server = entry.account.server.address
            return f"account {username!r} is hosted by the customer (on {server}): it does not log in here"
        if not entry.may_use(endpoint):
            allowed = ", ".join(entry.endpoints(self.profile))
            return f"account {username!r} may not use endpoint {endpoint!r} (it may use {allowed})"
        refused = connection_type_refusal(self.scenarios, username, endpoint)
        if refused:
            return refused
        if entry.addresses is not None and normal_address(address) not in entry.addresses:
            return f"address {address} is not on the account's allowlist"
        if method not in entry.methods:
            methods = ", ".join(entry.methods)
            return (
                f"{method} authentication is not allowed for account {username!r} (it logs in by {methods})"
            )
        return ""

    # -- live sessions ------------------------------------------------------------------------------------

    def joined(self, username: str, session: LiveSession, cut: Cut) -> None:
        """A session logged in as ``username``; ``cut`` ends it if a change of the account asks."""
        with self._lock:
            self._sessions.setdefault(username, {})[session.id] = (session, cut)

    def left(self, session: LiveSession) -> None:
        with self._lock:
            for username, sessions in list(self._sessions.items()):
                if sessions.pop(session.id, None) is not None and not sessions:
                    del self._sessions[username]

    def live_sessions(self, username: str) -> int:
        """How many sessions are logged in as ``username`` now."""
        with self._lock:
            return len(self._sessions.get(username, {}))

    def _cut(self, username: str, reason: str) -> None:
        with self._lock:
            sessions = list(self._sessions.pop(username, {}).values())
        for session, cut in sessions:
            session.record("session.cut", reason=reason)
            try:
                cut(reason)
            except Exception:  # a connection already closing: nothing left to cut
                log.debug("cutting session %s of %s failed", session.id, username, exc_info=True)


_KEY_REFUSED = "this key is not registered for the account (Server refused our key)"


def _certificate_refusal(username: str, common_name: str | None) -> str:
    """The client certificate's CN is the user name (MAGDA: "het CN is de gebruikersnaam")."""
    if common_name is None:
        return "no client certificate"
    if common_name != username:
        return f"certificate CN {common_name!r} is not the user name {username!r}"
    return ""


def _same_password(expected: str | None, given: str | None) -> bool:
    """Compared in constant time (as digests, so that not even the length shows)."""
    if expected is None or given is None:
        return False
    return hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(given.encode()).digest()
    )
