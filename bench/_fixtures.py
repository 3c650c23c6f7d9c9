"""What the pytest fixtures cost per test: a reset between two tests, beside a fresh suite per test.

The partner fixtures (``onss``, ``magda``, ...) share one suite per partner and xdist worker and reset it
between tests. Measured here is exactly what the plugin does between two tests, through its own code
(``SharedSuites``): the first test's teardown (wait for its sessions to end and its due jobs to finish,
read its ``partner.error`` events) and the next test's setup (the reset, the next test's journal window).
Before each measure, a "test" leaves behind what a reset must undo: a request in an inbox of every account
whose pickup waits 15 minutes on a frozen clock moved by 5 minutes (``answers-late``), a publication in
every account's answer folder, and two scenarios on. The reference is what every test paid before: a
fresh suite of that partner started and stopped (``mockpartners(name)``, the factory).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SharedSuites, SuiteFactory
from mockpartners.app.runtime import Runtime

from ._common import BenchError, Options, median
from ._startup import PARTNERS

__all__ = ["RESETS_PER_START", "measure_fixtures"]

RESETS_PER_START = 20
"""Resets measured for each fresh suite started: a reset is some hundred times cheaper."""


def _leave_a_test_behind(partner: Partner) -> None:
    """What a test typically leaves: files, a pickup planned on a frozen clock, scenarios, a moved clock."""
    assert partner.profile.pickup is not None, "the built-in partners pick up requests"
    inbox, answers = next(iter(partner.profile.pickup.inboxes.items()))
    partner.clock.freeze()
    partner.scenarios.on("answers-late", delay="15m")
    partner.scenarios.on("reject-requests")
    for account in partner.profile.accounts:
        partner.files(account.username).drop(f"{inbox}/BENCH.00001.xml", "<request/>")
    partner.publish(f"{answers}/NOTICE.txt", "a publication\n")
    partner.clock.advance("5m")


def _check_fresh(partner: Partner, planned_by_a_fresh_partner: int) -> None:
    """The bench measures a reset that works: nothing of the test before is left."""
    leftovers = [
        path
        for account in partner.profile.accounts
        for path in partner.files(account.username).home.root.rglob("*")
        if path.is_file()
    ]
    problems = {
        "files": leftovers,
        "clock": partner.clock.shifted,
        "scenarios": [name for name in ("answers-late", "reject-requests") if partner.scenarios.active(name)],
        "jobs": partner.scheduler.pending() > planned_by_a_fresh_partner,
        "journal": partner.journal.events(kind="partner.drop"),
    }
    left = {name: value for name, value in problems.items() if value}
    if left:
        raise BenchError(f"a reset of {partner.name} left the previous test's {left}")


@dataclass
class _Test:
    """What the plugin keeps of one test: its factory (which reads its errors) and its journal window."""

    suite: Runtime
    factory: SuiteFactory
    window: int


def _next_test(shared: SharedSuites, name: str, factory: SuiteFactory) -> _Test:
    """A test's setup, as the generated fixture runs it."""
    suite = shared.checkout(name)
    assert suite.journal is not None
    window = suite[name].window_start()
    factory.watch(suite.journal, window)
    return _Test(suite, factory, window)


def _between_tests(
    shared: SharedSuites, name: str, previous: _Test, factory: SuiteFactory
) -> tuple[float, _Test]:
    """One test's teardown and the next one's setup (whose ``factory`` is given), as the plugin runs them;
    their time, and the next test."""
    began = time.perf_counter()
    shared.checkin(previous.suite, name, previous.window)
    previous.factory.partner_errors()
    following = _next_test(shared, name, factory)
    return time.perf_counter() - began, following


def _fresh_suite(workdir: Path, credentials: Path, name: str) -> float:
    factory = SuiteFactory(workdir / "fresh", credentials)
    began = time.perf_counter()
    factory(name)
    factory.stop_all()
    return time.perf_counter() - began


def _measure(options: Options, state_dir: Path, name: str) -> dict[str, Any]:
    shared = SharedSuites(options.workdir / "fixtures", state_dir)
    factories = options.workdir / "fixtures-factory"  # the fixtures' factory creates nothing unless called
    try:
        test = _next_test(shared, name, SuiteFactory(factories, state_dir))
        partner = test.suite[name]
        planned = partner.scheduler.pending()  # a fresh partner's own jobs (retention)
        resets: list[float] = []
        fresh: list[float] = []
        for _ in range(options.startups):
            for _ in range(RESETS_PER_START):
                _leave_a_test_behind(partner)
                factory = SuiteFactory(factories, state_dir)  # pytest builds it before the partner fixture
                took, test = _between_tests(shared, name, test, factory)
                resets.append(took)
                _check_fresh(partner, planned)
            fresh.append(_fresh_suite(options.workdir, state_dir, name))
    finally:
        shared.stop_all()
    if shared.started != 1:
        raise BenchError(f"the shared {name} suite was replaced: the measure is of starts, not resets")
    return {
        "resets": [round(value, 5) for value in resets],
        "reset_median": round(median(resets), 5),
        "fresh": [round(value, 4) for value in fresh],
        "fresh_median": round(median(fresh), 4),
    }


def measure_fixtures(options: Options, state_dir: Path) -> dict[str, Any]:
    """Per partner: the time between two tests sharing its suite, and a fresh suite's start and stop."""
    return {"unit": "s", "partners": {name: _measure(options, state_dir, name) for name in PARTNERS}}
