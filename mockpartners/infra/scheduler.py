"""One worker thread that runs partner-side jobs when the virtual clock reaches their due time.

Partner work (hashing, moving, writing answers, retention) stays off the protocol threads, so a slow answer
never slows a transfer, and advancing the clock wakes the worker at once.

A job that fails is reported (the partner journals ``partner.error``) and tried again a few times after a
growing pause in real time, so a frozen clock does not hold a retry back; a recurring job (retention) then
keeps its cadence whatever happened: one failure never stops it for good. When the clock goes back (a
reset after a freeze far in the future), recurring jobs are due again at once instead of waiting for a date
that no longer comes.

Partners share the worker; each schedules through its own :class:`Lane`, so that resetting one partner
cancels its jobs (a pickup planned for +10 min on a frozen clock never fires after the reset) and no other's.
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

__all__ = ["RETRY_PAUSES", "Failure", "Job", "Lane", "Scheduler"]

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
    pause: float | None = None
    """A polling job runs again this many real seconds after each run, whatever the virtual clock does
    (TEDECO's scan of a spool that clients write to straight on disk: it must look even on a frozen clock)."""
    cancelled: bool = False
    attempts: int = 0
    owner: str | None = None
    """Whose job it is (a partner's name): set by the :class:`Lane` that scheduled it."""


_Entry = tuple[datetime, float, int, Job]  # due (virtual), not before (monotonic), order, job


class Scheduler:
    """Jobs ordered by due time on the shared clock, run one at a time on a daemon thread."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._jobs: list[_Entry] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._running: Job | None = None
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

    def schedule(self, due: datetime, job: Job | Callable[[], None], *, owner: str | None = None) -> Job:
        """Run ``job`` once the clock reaches ``due``; the job, counted and cancelled with ``owner``'s."""
        chosen = job if isinstance(job, Job) else Job(job, getattr(job, "__name__", "job"))
        if owner is not None:
            chosen.owner = owner
        self._push(due, 0.0, chosen)
        return chosen

    def lane(self, owner: str) -> Lane:
        """Where ``owner`` (a partner) schedules its jobs on this worker."""
        return Lane(self, owner)

    def pending(self, owner: str | None = None) -> int:
        """Jobs waiting (whenever due) or running; only ``owner``'s when given."""
        with self._condition:
            return sum(1 for job in self._jobs_of(owner))

    def planned(self, owner: str | None = None) -> list[tuple[datetime, Job]]:
        """The jobs waiting or running (``owner``'s only when given), soonest first, with the virtual moment
        each is due (now, for the one running): what a clock advance would set off (the dashboard's Clock
        view shows them). A recurring job is listed at every moment, even while it runs."""
        with self._condition:
            waiting = [(entry[0], entry[3]) for entry in sorted(self._jobs) if _owned(entry[3], owner)]
            running = self._running
            queued = any(job is running for _, job in waiting)  # a recurring one, back in the queue already
            if running is not None and _owned(running, owner) and not queued:
                waiting.insert(0, (self.clock.now(), running))
        return [(due, job) for due, job in waiting if not job.cancelled]

    def busy(self, owner: str | None = None) -> int:
        """Jobs due now or running (only ``owner``'s when given): 0 means nothing is left to do at this
        moment (a failed job waiting to be tried again does not count)."""
        with self._condition:
            ready = time.monotonic()
            due = sum(1 for entry in self._jobs if _owned(entry[3], owner) and self._runnable(entry, ready))
            return due + (1 if _owned(self._running, owner) else 0)

    def cancel_owned(self, owner: str, timeout: float = 10.0, *, keep_recurring: bool = False) -> None:
        """Cancel every job of ``owner`` (its recurring ones too unless ``keep_recurring``), then wait (up to
        ``timeout`` seconds) for the one running to end: when this returns, no job of ``owner`` is running
        and none cancelled ever will."""
        with self._condition:
            for job in self._jobs_of(owner):
                recurring = job.every is not None or job.pause is not None
                job.cancelled = job.cancelled or not (keep_recurring and recurring)
            self._jobs = [entry for entry in self._jobs if not entry[3].cancelled]
            heapq.heapify(self._jobs)
            if threading.current_thread() is self._thread:
                return  # a job cancelling its own owner's jobs: it is the one running
            ended = self._condition.wait_for(lambda: not _owned(self._running, owner), timeout)
        if not ended:
            raise TimeoutError(f"a partner-side job of {owner} was still running after {timeout:g} s")

    # -- internals ----------------------------------------------------------------------------------------

    def _jobs_of(self, owner: str | None) -> list[Job]:
        running = [self._running] if self._running is not None else []
        return [job for job in [entry[3] for entry in self._jobs] + running if _owned(job, owner)]

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
                    self._running = chosen[3]
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
                    self._running = None
                    self._condition.notify_all()

    def _again(self, job: Job) -> None:
        if job.every is not None:
            self._push(_after(job.every, self.clock.now()), 0.0, job)
        elif job.pause is not None:  # due at any virtual time, even after the clock went back
            self._push(datetime.min.replace(tzinfo=UTC), time.monotonic() + job.pause, job)

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


class Lane:
    """One owner's jobs on a shared :class:`Scheduler`: they run on the same worker, and are counted and
    cancelled apart from everyone else's. What a partner's processors schedule through."""

    def __init__(self, scheduler: Scheduler, owner: str) -> None:
        self.scheduler = scheduler
        self.owner = owner

    def schedule(self, due: datetime, job: Job | Callable[[], None]) -> Job:
        """Run ``job`` once the clock reaches ``due`` (see :meth:`Scheduler.schedule`)."""
        return self.scheduler.schedule(due, job, owner=self.owner)

    def cancel_all(self, timeout: float = 10.0, *, keep_recurring: bool = False) -> None:
        """None of this owner's jobs runs any more (but the recurring ones, if kept); the one running is let
        finish first."""
        self.scheduler.cancel_owned(self.owner, timeout, keep_recurring=keep_recurring)

    def pending(self) -> int:
        """This owner's jobs waiting (whenever due) or running."""
        return self.scheduler.pending(self.owner)

    def planned(self) -> list[tuple[datetime, Job]]:
        """This owner's jobs waiting, soonest first, with when each is due."""
        return self.scheduler.planned(self.owner)

    def busy(self) -> int:
        """This owner's jobs due now or running."""
        return self.scheduler.busy(self.owner)


def _owned(job: Job | None, owner: str | None) -> bool:
    """Whether ``job`` is ``owner``'s (any job when ``owner`` is None)."""
    return job is not None and (owner is None or job.owner == owner)


def _after(step: Duration, moment: datetime) -> datetime:
    """``step`` after ``moment``, or the last moment a datetime can hold (a clock frozen in year 9999)."""
    try:
        return step.after(moment)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)
