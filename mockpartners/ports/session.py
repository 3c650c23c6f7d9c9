"""One client connection, whatever the protocol: who it is, what it may do, and what the journal says.

Protocol adapters stay thin by routing every file operation through :meth:`Session.operation`, which
resolves the path in the account's home, checks the right, runs the operation and journals the outcome
(ok, refused with the reason, or failed with the system error).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..infra.journal import Event
from ..infra.limits import ConnectionLimits, StorageLimits, StorageRefused
from ..model.loading import Right
from ..scenarios import SessionFaults
from ._facts import PartnerFacts
from .guard import Ban, LoginGuard
from .storage import AccessRefused, Home, Location, PartnerTree

__all__ = ["Operation", "Refusal", "Session", "SessionOwner"]


class SessionOwner(PartnerFacts, Protocol):
    """What a session asks of the partner it belongs to, and what it tells it: the port protocol adapters
    reach the partner through (they never see the partner itself)."""

    @property
    def guard(self) -> LoginGuard: ...
    @property
    def tree(self) -> PartnerTree: ...
    @property
    def storage(self) -> StorageLimits: ...

    def watches(self, username: str, relative_path: str) -> bool:
        """Whether the partner takes files arriving at this path of this account's home."""

    def upload_started(self, username: str, relative_path: str) -> None: ...
    def upload_ended(self, username: str, relative_path: str, event: Event, *, complete: bool) -> None: ...
    def file_arrived(self, username: str, relative_path: str, event: Event) -> None: ...


@dataclass(frozen=True)
class Refusal:
    """Why a connection is not admitted: its address is ``banned``, or too many ``connections`` are open."""

    kind: Literal["banned", "connections"]
    reason: str


@dataclass
class Operation:
    """What the body of :meth:`Session.operation` works on; ``detail`` lands in the journal event."""

    location: Location
    detail: dict[str, Any] = field(default_factory=dict)
    target: Location | None = None
    event: Event | None = None
    arrived: Location | None = None
    """Set by the body when a complete file now sits at this location (moved or renamed there)."""


class Session:
    """A client connection to one partner endpoint."""

    def __init__(self, partner: SessionOwner, protocol: str, address: str, port: int) -> None:
        self.id = secrets.token_hex(5)
        self.partner = partner
        self.protocol = protocol
        self.address = address
        self.client = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        self.username: str | None = None
        self.home: Home | None = None
        self.lost = False
        self.disconnect_reason = ""
        self.faults = SessionFaults(partner.scenarios, self.record)
        self._started = time.monotonic()
        self._admitted_by: ConnectionLimits | None = None

    @property
    def account(self) -> str | None:
        """The logged-in account (None before login)."""
        return self.home.username if self.home else None

    def record(self, kind: str, path: str | None = None, outcome: str = "ok", **detail: Any) -> Event:
        return self.partner.journal.record(
            kind,
            protocol=self.protocol,
            session=self.id,
            account=self.account or self.username,
            client=self.client,
            path=path,
            outcome=outcome,
            **detail,
        )

    def connected(self, limits: ConnectionLimits | None = None, **detail: Any) -> Refusal | None:
        """Journal the connection, and admit it unless its address is banned or the listener's
        ``limits`` are reached; the refusal (journalled as ``session.refused``) when it is not admitted."""
        self.record("session.connect", **detail)
        ban = self.partner.guard.ban(self.address)
        refusal = Refusal("banned", ban.reason()) if ban is not None else None
        if refusal is None and limits is not None:
            reason = limits.admit(self.address)
            if reason is None:
                self._admitted_by = limits
            else:
                refusal = Refusal("connections", reason)
        if refusal is not None:
            self.record("session.refused", outcome="refused", reason=refusal.reason)
        return refusal

    def auth_attempt(
        self, username: str, method: str, accepted: bool, reason: str = "", **detail: Any
    ) -> None:
        self.username = username
        outcome = "ok" if accepted else "refused"
        self.record(
            "auth.attempt", outcome=outcome, method=method, **({"reason": reason} if reason else {}), **detail
        )
        if not accepted:
            self.login_failed()

    def login_failed(self) -> None:
        """Count a refused login (a wrong key, password or client certificate) against the client's address
        at once; journal the ban it starts."""
        ban = self.partner.guard.refused(self.id, self.address)
        if ban is not None:
            self.record(
                "session.banned",
                outcome="refused",
                address=ban.address,
                failed_logins=ban.failed_logins,
                until=ban.until.isoformat(),
                reason=ban.reason(),
            )

    def banned(self) -> Ban | None:
        """The ban now in force on the client's address (a session may be banned while it tries)."""
        return self.partner.guard.ban(self.address)

    def logged_in(self, username: str, method: str, cut: Callable[[str], None] | None = None) -> Home:
        """The login succeeded; ``cut`` is how the adapter ends this session when a change of the account
        asks for it (the account book keeps it while the session lives)."""
        self.home = self.partner.tree.home(username)
        self.partner.guard.succeeded(self.id)
        self.record("session.login", method=method)
        if cut is not None:
            self.partner.accounts.joined(username, self, cut)
        return self.home

    def ended(self, reason: str = "") -> None:
        if self.home is not None:
            self.partner.accounts.left(self)
        if self._admitted_by is not None:
            self._admitted_by.release(self.address)
            self._admitted_by = None
        duration = round(time.monotonic() - self._started, 3)
        self.record("session.disconnect", reason=reason or "client closed", duration=duration)

    def resolve(self, path: str | bytes) -> Location:
        if self.home is None:
            raise AccessRefused("not logged in")
        return self.home.resolve(path)

    @contextmanager
    def operation(
        self,
        kind: str,
        path: str | bytes,
        right: Right | None = None,
        *,
        target: str | bytes | None = None,
        **detail: Any,
    ) -> Iterator[Operation]:
        """Resolve, check, run the body, journal: refusals and failures are re-raised after journaling."""
        shown = path.decode("utf-8", "replace") if isinstance(path, bytes) else path
        try:
            location = self.resolve(path)
            operation = Operation(location, dict(detail))
            if target is not None:
                operation.target = self.resolve(target)
                operation.detail["target"] = operation.target.relative
                if right == "rename":
                    self._home().check_rename(location, operation.target)
            if right is not None and target is None:
                self._home().check(right, location)
        except AccessRefused as refusal:
            if target is not None:
                detail["target"] = (
                    target.decode("utf-8", "replace") if isinstance(target, bytes) else target
                ).lstrip("/")
            self.record(kind, shown.lstrip("/"), "refused", reason=refusal.reason, **detail)
            raise
        try:
            yield operation
        except (AccessRefused, StorageRefused) as refusal:  # a right, or the account's quota
            self.record(kind, location.relative, "refused", reason=refusal.reason, **operation.detail)
            raise
        except Exception as error:
            reason = (
                (error.strerror if isinstance(error, OSError) else None) or str(error) or type(error).__name__
            )
            self.record(kind, location.relative, "failed", error=reason, **operation.detail)
            raise
        if operation.arrived is not None and self.partner.watches(
            self._home().username, operation.arrived.relative
        ):
            operation.detail["arrival"] = operation.arrived.relative
        operation.event = self.record(kind, location.relative, **operation.detail)
        if operation.arrived is not None:
            self.partner.file_arrived(self._home().username, operation.arrived.relative, operation.event)

    def reserve_storage(self, location: Location, growth: int, new_files: int = 0) -> None:
        """Let a write add ``growth`` bytes (and ``new_files`` entries) to the account's home, or journal
        the refusal (``fs.write`` refused: quota, file count or disk reserve) and raise it."""
        try:
            self.partner.storage.reserve(self._home().username, growth, new_files)
        except StorageRefused as refusal:
            self.record("fs.write", location.relative, "refused", reason=refusal.reason, limit=refusal.kind)
            raise

    def renamed(self, path: str, destination: Location | None, outcome: str, **detail: Any) -> Event:
        """Journal a rename the adapter carried out itself (FTP's RNFR then RNTO, which
        :meth:`operation` cannot wrap), and tell the partner when a whole file now sits in an inbox."""
        arrived = (
            outcome == "ok"
            and destination is not None
            and self.account is not None
            and self.partner.watches(self.account, destination.relative)
        )
        if arrived and destination is not None:
            detail["arrival"] = destination.relative
        event = self.record("fs.rename", path, outcome, **detail)
        if arrived and destination is not None and self.account:
            self.partner.file_arrived(self.account, destination.relative, event)
        return event

    def upload_started(self, location: Location) -> None:
        """A client opened a file for writing (the partner counts writers and watches direct uploads)."""
        self.partner.upload_started(self._home().username, location.relative)

    def upload_ended(self, location: Location, *, complete: bool, **detail: Any) -> Event:
        """Journal the end of an upload (``fs.close``) and tell the partner whether a whole file arrived.

        ``complete`` is False when the client never said the file was done: the connection was lost, or
        the TLS data channel closed without its close_notify (a truncated transfer).
        """
        detail = {"mode": "write", **detail, "complete": complete}
        if complete and self.partner.watches(self._home().username, location.relative):
            detail["arrival"] = location.relative
        event = self.record("fs.close", location.relative, **detail)
        self.partner.upload_ended(self._home().username, location.relative, event, complete=complete)
        return event

    def _home(self) -> Home:
        if self.home is None:
            raise AccessRefused("not logged in")
        return self.home
