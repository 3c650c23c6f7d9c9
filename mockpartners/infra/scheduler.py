"""One worker thread that runs partner-side jobs when the virtual clock reaches their due time.

Partner work (hashing, moving, writing answers, retention) stays off the protocol threads, so a slow answer
never slows a transfer, and advancing the clock wakes the worker at once.

A job that fails is reported (the partner journals ``partner.error``) and tried again a few times after a
growing pause in real time, so a frozen clock does not hold a retry back; a recurring job (retention) then
keeps its cadence whatever happened: one failure never stops it for good. When the clock goes back (a
reset after a freeze far in the future), recurring jobs are due again at once instead of waiting for a date
that no longer comes.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..model.duration import Duration
from .clock import Clock

__all__ = ["RETRY_PAUSES", "Failure", "Job", "Scheduler"]

log = logging.getLogger("mockpartners.processors")

RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Real seconds before each new attempt of a failed job; after the last one it is given up (a recurring
job waits for its next turn)."""


@dataclass(frozen=True)
class Failure:
    """What a failed attempt tells whoever owns the job."""

    error: BaseException
    attempt: int
    retry_in: float | None
    """Real seconds until the next attempt; None when the job is given up (or waits for its next turn)."""


@dataclass
class Job:
    """Something a partner does in the background: ``run`` it when due, ``report`` a failure."""

    run: Callable[[], object]
    name: str
    report: Callable[[Failure], None] | None = None
    every: Duration | None = None
    """A recurring job runs again this long (virtual time) after each run."""
    cancelled: bool = False
    attempts: int = 0


_Entry = tuple[datetime, float, int, Job]  # due (virtual), not before (monotonic), order, job


class Scheduler:
    """Jobs ordered by due time on the shared clock, run one at a time on a daemon thread."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._jobs: list[_Entry] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._running = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_now = clock.now()
        clock.on_change(self._clock_changed)

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

    def schedule(self, due: datetime, job: Job | Callable[[], None]) -> Job:
        """Run ``job`` once the clock reaches ``due``; the job, which :meth:`cancel` takes back."""
        chosen = job if isinstance(job, Job) else Job(job, getattr(job, "__name__", "job"))
        self._push(due, 0.0, chosen)
        return chosen

    def cancel(self, job: Job) -> None:
        """The job never runs again (a recurring one included)."""
        with self._condition:
            job.cancelled = True
            self._jobs = [entry for entry in self._jobs if entry[3] is not job]
            heapq.heapify(self._jobs)

    def pending(self) -> int:
        """Jobs waiting (whenever due) or running."""
        with self._condition:
            return len(self._jobs) + self._running

    def busy(self) -> int:
        """Jobs due now or running: 0 means the partners have nothing left to do at this moment (a failed
        job waiting to be tried again does not count)."""
        with self._condition:
            ready = time.monotonic()
            due = sum(1 for entry in self._jobs if self._runnable(entry, ready))
            return due + self._running

    # -- internals ----------------------------------------------------------------------------------------

    def _push(self, due: datetime, not_before: float, job: Job) -> None:
        with self._condition:
            if job.cancelled:
                return
            heapq.heappush(self._jobs, (due, not_before, next(self._order), job))
            self._condition.notify_all()

    def _runnable(self, entry: _Entry, now: float) -> bool:
        return self.clock.seconds_until(entry[0]) == 0 and entry[1] <= now

    def _clock_changed(self) -> None:
        """Recurring jobs planned beyond one period from now (the clock went back) are due at once."""
        now = self.clock.now()
        with self._condition:
            went_back = now < self._last_now
            self._last_now = now
            if went_back:
                self._jobs = [
                    (now, entry[1], entry[2], entry[3])
                    if entry[3].every is not None and entry[0] > _after(entry[3].every, now)
                    else entry
                    for entry in self._jobs
                ]
                heapq.heapify(self._jobs)
            self._condition.notify_all()

    def _next_job(self) -> Job | None:
        with self._condition:
            while not self._stopping:
                ready = time.monotonic()
                runnable = [entry for entry in self._jobs if self._runnable(entry, ready)]
                if runnable:
                    chosen = min(runnable)
                    self._jobs.remove(chosen)
                    heapq.heapify(self._jobs)
                    self._running += 1
                    return chosen[3]
                waits = [
                    max(virtual, entry[1] - ready)
                    for entry in self._jobs
                    if (virtual := self.clock.seconds_until(entry[0])) is not None
                ]
                self._condition.wait(timeout=min([*waits, 60.0]))
            return None

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                job.run()
                job.attempts = 0
                self._again(job)
            except Exception as error:
                self._failed(job, error)
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()

    def _again(self, job: Job) -> None:
        if job.every is not None:
            self._push(_after(job.every, self.clock.now()), 0.0, job)

    def _failed(self, job: Job, error: Exception) -> None:
        job.attempts += 1
        retry_in = RETRY_PAUSES[job.attempts - 1] if job.attempts <= len(RETRY_PAUSES) else None
        failure = Failure(error, job.attempts, retry_in)
        try:
            if job.report is not None:
                job.report(failure)
            else:
                log.error("partner-side job %s failed: %r", job.name, error)
        except Exception:  # reporting must never stop the worker
            log.exception("partner-side job %s failed, and so did its report", job.name)
        if retry_in is not None:
            self._push(self.clock.now(), time.monotonic() + retry_in, job)
        else:
            job.attempts = 0
            self._again(job)


def _after(step: Duration, moment: datetime) -> datetime:
    """``step`` after ``moment``, or the last moment a datetime can hold (a clock frozen in year 9999)."""
    try:
        return step.after(moment)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)
