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

from ..model._access import FailedLogins

if TYPE_CHECKING:
    from ..infra.clock import Clock

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
    """Counts failed logins per address; thread-safe, as SFTP and FTPS serve from different threads.

    A connection counts once, at its first refusal, and is forgiven if it then logs in: a client that
    offers a wrong key before the right one is not punished, and a hundred connections refused at once
    are a hundred failures at once, not when they end.
    """

    def __init__(self, policy: FailedLogins, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[tuple[datetime, str]]] = {}
        self._counted: dict[str, str] = {}  # session id -> address, while counted and not forgiven
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

    def refused(self, session: str, address: str) -> Ban | None:
        """A login of connection ``session`` from ``address`` was refused: count the connection (once);
        the ban this starts, if any."""
        limit = self.policy.ban_after
        if limit is None or not address:
            return None
        now = self.clock.now()
        oldest = self.policy.within.before(now)
        with self._lock:
            if session in self._counted:
                return None
            self._counted[session] = address
            failures = self._failures.setdefault(address, deque())
            failures.append((now, session))
            while failures and failures[0][0] <= oldest:
                self._counted.pop(failures.popleft()[1], None)
            current = self._bans.get(address)
            if len(failures) < limit or (current is not None and current.until > now):
                return None
            ban = Ban(address, self.policy.ban_for.after(now), len(failures))
            self._bans[address] = ban
            for _, counted in failures:
                self._counted.pop(counted, None)
            del self._failures[address]
            return ban

    def succeeded(self, session: str) -> None:
        """Connection ``session`` logged in after all: its refusals were a client trying its keys in turn."""
        with self._lock:
            address = self._counted.pop(session, None)
            failures = self._failures.get(address or "")
            if failures is not None:
                kept = [failure for failure in failures if failure[1] != session]
                failures.clear()
                failures.extend(kept)
                if not failures and address is not None:
                    del self._failures[address]

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._counted.clear()
            self._bans.clear()
