"""One worker thread that runs partner-side jobs when the virtual clock reaches their due time.

Partner work (hashing, moving, writing answers) stays off the protocol threads, so a slow answer never
slows a transfer, and advancing the clock wakes the worker at once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from ..clock import Clock

__all__ = ["Scheduler"]

log = logging.getLogger("mockpartners.processors")


class Scheduler:
    """Jobs ordered by due time on the shared clock, run one at a time on a daemon thread."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._jobs: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._running = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        clock.on_change(self._wake)

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="mockpartners-processors", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def schedule(self, due: datetime, job: Callable[[], None]) -> None:
        with self._condition:
            heapq.heappush(self._jobs, (due, next(self._order), job))
            self._condition.notify_all()

    def pending(self) -> int:
        """Jobs waiting (whenever due) or running."""
        with self._condition:
            return len(self._jobs) + self._running

    def busy(self) -> int:
        """Jobs due now or running: 0 means the partners have nothing left to do at this moment."""
        with self._condition:
            due = sum(1 for moment, _, _ in self._jobs if self.clock.seconds_until(moment) == 0)
            return due + self._running

    def _wake(self) -> None:
        with self._condition:
            self._condition.notify_all()

    def _next_job(self) -> Callable[[], None] | None:
        with self._condition:
            while not self._stopping:
                if self._jobs:
                    wait = self.clock.seconds_until(self._jobs[0][0])
                    if wait == 0:
                        self._running += 1
                        return heapq.heappop(self._jobs)[2]
                else:
                    wait = None
                self._condition.wait(timeout=min(wait, 60.0) if wait is not None else 60.0)
            return None

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                job()
            except Exception:
                log.exception("partner-side job failed")
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()
