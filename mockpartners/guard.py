"""The partner's protection against password and key guessing: per client address, whatever the protocol.

Real servers sit behind something like fail2ban or OpenSSH's PerSourcePenalties: an address that fails
to log in too often is shut out for a while, and every other address carries on. The partners' guides
say nothing about it, so the limits are a profile setting (``failed_logins``). Times are read on the
virtual clock: advancing it lifts a ban as waiting would, and :meth:`LoginGuard.reset` lifts them all.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .config import FailedLogins

if TYPE_CHECKING:
    from .clock import Clock
    from .session import Session

__all__ = ["Ban", "LoginGuard"]


@dataclass(frozen=True)
class Ban:
    """An address shut out until ``until`` after ``failed_logins`` failed logins."""

    address: str
    until: datetime
    failed_logins: int

    def reason(self) -> str:
        until = self.until.isoformat(timespec="seconds")
        return (
            f"address {self.address} is banned until {until} after {self.failed_logins} failed logins "
            "(profile setting failed_logins)"
        )


class LoginGuard:
    """Counts failed logins per address; thread-safe, as SFTP and FTPS serve from different threads."""

    def __init__(self, policy: FailedLogins, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[datetime]] = {}
        self._bans: dict[str, Ban] = {}

    def ban(self, address: str) -> Ban | None:
        """The ban in force for ``address``, if any."""
        with self._lock:
            ban = self._bans.get(address)
            if ban is not None and ban.until <= self.clock.now():
                del self._bans[address]
                return None
            return ban

    def bans(self) -> list[Ban]:
        """Every ban in force now."""
        return [ban for ban in map(self.ban, list(self._bans)) if ban is not None]

    def session_ended(self, session: Session) -> None:
        """Count the session if it tried to log in and never did; journal a ban when it starts."""
        if not session.tried_login or session.home is not None or not session.address:
            return
        ban = self._count_failure(session.address)
        if ban is not None:
            session.record(
                "session.banned",
                outcome="refused",
                address=ban.address,
                failed_logins=ban.failed_logins,
                until=ban.until.isoformat(),
                reason=ban.reason(),
            )

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._bans.clear()

    def _count_failure(self, address: str) -> Ban | None:
        limit = self.policy.ban_after
        if limit is None:
            return None
        now = self.clock.now()
        oldest = self.policy.within.before(now)
        with self._lock:
            failures = self._failures.setdefault(address, deque())
            failures.append(now)
            while failures and failures[0] <= oldest:
                failures.popleft()
            current = self._bans.get(address)
            if len(failures) < limit or (current is not None and current.until > now):
                return None
            ban = Ban(address, self.policy.ban_for.after(now), len(failures))
            self._bans[address] = ban
            failures.clear()
            return ban
