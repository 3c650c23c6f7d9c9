"""The AIREPPNET portal's logged-in sessions: a cookie's token -> the collectivité it logged in as, and when
it last asked for something, on the partner's virtual clock.

The TASK Collectivités guide, section F, gives the portal's profile a "Deconnexion automatique : 60": a
session idle that long is over, and the next request finds it so (a test advances the clock, it never
sleeps). A session lives in one endpoint's memory: a restart of the endpoint, as of the real portal's
server, logs every collectivité out.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...infra.clock import Clock

__all__ = ["COOKIE", "MAXIMUM_SESSIONS", "PortalSession", "PortalSessions"]

COOKIE = "AIREPPNET_SESSION"
"""The session cookie's name (ours: the guide shows no header)."""
MAXIMUM_SESSIONS = 1000
"""Sessions kept at once; beyond them the oldest is forgotten (endless logins fill no memory)."""


@dataclass
class PortalSession:
    username: str
    last_seen: datetime


class PortalSessions:
    """One endpoint's sessions, read and changed on the suite's event loop only."""

    def __init__(self, clock: Clock, idle: timedelta) -> None:
        self.clock = clock
        self.idle = idle
        self._sessions: OrderedDict[str, PortalSession] = OrderedDict()

    def open(self, username: str) -> str:
        """A new session for ``username``: its cookie's token."""
        now = self.clock.now()
        self._forget_idle(now)
        while len(self._sessions) >= MAXIMUM_SESSIONS:
            self._sessions.popitem(last=False)
        token = secrets.token_urlsafe(24)
        self._sessions[token] = PortalSession(username, now)
        return token

    def touch(self, token: str) -> tuple[PortalSession | None, str]:
        """The live session of ``token``, now seen again; or None and why there is none (never opened, or
        over: idle longer than the portal allows)."""
        session = self._sessions.get(token)
        if session is None:
            return None, "no session: log in first"
        now = self.clock.now()
        if now - session.last_seen > self.idle:
            del self._sessions[token]
            idle = int((now - session.last_seen).total_seconds())
            allowed = int(self.idle.total_seconds())
            return None, f"idle for {idle}s, more than the {allowed}s the portal allows"
        session.last_seen = now
        self._sessions.move_to_end(token)
        return session, ""

    def close(self, token: str) -> PortalSession | None:
        return self._sessions.pop(token, None)

    def close_account(self, username: str) -> None:
        """Every session of ``username`` over (its account changed and asked for its sessions to end)."""
        for token in [token for token, session in self._sessions.items() if session.username == username]:
            del self._sessions[token]

    def _forget_idle(self, now: datetime) -> None:
        for token in [token for token, item in self._sessions.items() if now - item.last_seen > self.idle]:
            del self._sessions[token]
