"""The scheduler's lanes: every partner's jobs run on one worker, and are counted and cancelled apart (what a
reset of one partner needs: its pickup planned on a frozen clock never fires, the other partners' do)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from mockpartners import Clock
from mockpartners.infra.scheduler import Job, Scheduler
from mockpartners.model.duration import Duration


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.freeze()
    return clock


@pytest.fixture
def scheduler(clock: Clock) -> Iterator[Scheduler]:
    scheduler = Scheduler(clock)
    scheduler.start()
    yield scheduler
    scheduler.stop()


def test_cancelling_one_lane_leaves_the_others_alone(clock: Clock, scheduler: Scheduler) -> None:
    onss, magda = scheduler.lane("onss"), scheduler.lane("magda")
    ran: list[str] = []
    magda_ran = threading.Event()
    due = clock.now() + timedelta(minutes=10)
    onss.schedule(due, lambda: ran.append("onss"))
    magda.schedule(due, lambda: (ran.append("magda"), magda_ran.set()))
    assert (onss.pending(), magda.pending(), scheduler.pending()) == (1, 1, 2)

    onss.cancel_all()
    clock.advance("10m")
    assert magda_ran.wait(5)
    assert ran == ["magda"] and scheduler.pending() == 0


def test_recurring_jobs_may_keep_their_turns(clock: Clock, scheduler: Scheduler) -> None:
    lane = scheduler.lane("magda")
    later = clock.now() + timedelta(hours=2)
    lane.schedule(later, Job(lambda: None, "retention", every=Duration.parse("1h")))
    lane.schedule(later, Job(lambda: None, "pickup"))
    lane.cancel_all(keep_recurring=True)
    assert lane.pending() == 1
    lane.cancel_all()
    assert lane.pending() == 0


def test_cancel_waits_for_the_running_job_which_never_comes_back(clock: Clock, scheduler: Scheduler) -> None:
    lane = scheduler.lane("onss")
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)

    lane.schedule(clock.now(), Job(slow, "retention", every=Duration.parse("1h")))
    assert started.wait(5)
    with pytest.raises(TimeoutError, match=r"a partner-side job of onss was still running after 0\.05 s"):
        lane.cancel_all(timeout=0.05)
    release.set()
    lane.cancel_all()
    assert lane.busy() == lane.pending() == 0, "a recurring job cancelled while running never comes back"
