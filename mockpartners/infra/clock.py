"""The virtual clock every partner of a suite reads: answer delays, retention and journal times.

A test freezes it and advances it by two months in a millisecond, and every waiting processor wakes up
as if the time had passed. Unfrozen and never advanced, it is the wall clock. A suite keeps its offset (or
frozen moment) in the state directory, so that a restart goes on from where the last run left it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..model.duration import Duration

__all__ = ["Clock"]


class Clock:
    """Wall time shifted by an offset, optionally frozen; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta()
        self._frozen_at: datetime | None = None
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        """The current virtual time, timezone-aware UTC."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def shifted(self) -> bool:
        """Whether virtual time differs from the wall clock (frozen, or advanced)."""
        return self._frozen_at is not None or bool(self._offset)

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop time at ``at`` (default: now), so that only :meth:`advance` moves it."""
        moment = at.astimezone(UTC) if at is not None else self.now()
        with self._lock:
            self._frozen_at = moment
        self._changed()
        return moment

    def unfreeze(self) -> None:
        """Let time flow again from the frozen moment on."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None
        self._changed()

    def advance(self, by: Duration | timedelta | str) -> datetime:
        """Jump forward (calendar months included) and wake everything waiting on the clock."""
        step = Duration.parse(by) if isinstance(by, str) else by
        with self._lock:
            current = self._frozen_at if self._frozen_at is not None else datetime.now(UTC) + self._offset
            target = step.after(current) if isinstance(step, Duration) else current + step
            if target < current:
                target = current
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset += target - current
        self._changed()
        return target

    def reset(self) -> None:
        """Back to the wall clock (nothing to tell anyone if it is there already)."""
        with self._lock:
            if self._frozen_at is None and not self._offset:
                return
            self._offset = timedelta()
            self._frozen_at = None
        self._changed()

    def saved(self) -> dict[str, Any]:
        """What a restart needs to go on from here: the frozen moment, or the offset from the wall clock."""
        with self._lock:
            if self._frozen_at is not None:
                return {"frozen_at": self._frozen_at.isoformat()}
            return {"offset_seconds": self._offset.total_seconds()}

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Go on from :meth:`saved`; ``ValueError`` when it is not what :meth:`saved` writes."""
        frozen_at, offset = saved.get("frozen_at"), saved.get("offset_seconds")
        if isinstance(frozen_at, str) and offset is None:
            moment = datetime.fromisoformat(frozen_at)
            if moment.tzinfo is None:
                raise ValueError(f"frozen_at {frozen_at!r} has no time zone")
            with self._lock:
                self._frozen_at, self._offset = moment.astimezone(UTC), timedelta()
        elif isinstance(offset, int | float) and not isinstance(offset, bool) and frozen_at is None:
            try:
                shift = timedelta(seconds=offset)
                datetime.now(UTC) + shift
            except (OverflowError, ValueError):  # beyond the calendar, or NaN
                raise ValueError(f"offset_seconds {offset!r} is not a usable number of seconds") from None
            with self._lock:
                self._frozen_at, self._offset = None, shift
        else:
            raise ValueError("expected frozen_at (an ISO 8601 moment) or offset_seconds (a number)")

    def not_before(self, moment: datetime) -> None:
        """Move forward to ``moment`` if it is later: times already written (the journal's) stay behind."""
        step = moment - self.now()
        if step > timedelta():
            self.advance(step)

    def seconds_until(self, moment: datetime) -> float | None:
        """Real seconds to wait for ``moment``: 0 when due, None when frozen before it (wait for advance)."""
        remaining = (moment - self.now()).total_seconds()
        if remaining <= 0:
            return 0.0
        return None if self.frozen else remaining

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the changing thread) whenever the clock is frozen, advanced or reset."""
        with self._lock:
            self._listeners.append(listener)

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    @staticmethod
    def monotonic() -> float:
        """Real elapsed time, for timeouts that must not follow the virtual clock."""
        return time.monotonic()
