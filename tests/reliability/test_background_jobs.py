"""Item 9 of the hardening issue: a partner-side job that fails once no longer stops for good.

After ``clock freeze 9999-12-31T23:59:59Z`` the retention job crashed (its next run fell beyond the year
9999) and never ran again, even after ``clock reset`` and ``reset``. Failures are now ``partner.error``
events, retried; they show in ``mockpartners status`` and in contract reports, and fail the pytest test
in whose time they happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockpartners import Partner, Query
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.processors import RetentionProcessor
from tests.reliability.sessions import ftps_session

END_OF_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _publish_aged(magda: Partner, name: str, days: int) -> None:
    """A generic publication that has waited ``days`` in publiek (kept one month)."""
    magda.publish(f"publiek/{name}", "<codetabel/>", account="afnemer-0001")
    real = Path(magda.account("afnemer-0001").home) / "publiek" / name
    moment = magda.clock.now().timestamp() - days * 86400
    os.utime(real, (moment, moment))


def _listed(magda: Partner) -> list[str]:
    with ftps_session(magda) as client:
        return client.nlst("publiek")


def test_retention_runs_on_after_a_clock_frozen_at_the_end_of_time(magda: Partner) -> None:
    magda.clock.freeze(END_OF_TIME)
    magda.wait_until_idle()
    magda.clock.reset()
    magda.wait_until_idle()  # the clock went back: the sweep planned for the end of time runs at once
    _publish_aged(magda, "OLD.xml", days=40)
    magda.clock.freeze()
    magda.clock.advance("1h")  # the next sweep
    magda.journal.wait_for(Query(kind="partner.retention", partner="magda", path="publiek/OLD.xml"))
    assert "OLD.xml" not in " ".join(_listed(magda))

    magda.clock.freeze(END_OF_TIME)
    magda.wait_until_idle()
    magda.reset()
    magda.clock.reset()
    magda.wait_until_idle()
    _publish_aged(magda, "OLDER.xml", days=40)
    magda.clock.freeze()
    magda.clock.advance("1h")
    magda.journal.wait_for(Query(kind="partner.retention", partner="magda", path="publiek/OLDER.xml"))
    assert not magda.journal.events(kind="partner.error", partner="magda")


def test_a_failed_job_is_journalled_retried_and_shown(
    mockpartners: SuiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    mockpartners.allow_partner_errors()
    real_sweep = RetentionProcessor.sweep
    failures = iter([OSError(5, "Input/output error")])

    def flaky_sweep(self: RetentionProcessor) -> int:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_sweep(self)

    monkeypatch.setattr(RetentionProcessor, "sweep", flaky_sweep)
    suite = mockpartners("magda", admin=True)
    magda = suite["magda"]
    error = magda.journal.wait_for(Query(kind="partner.error", partner="magda"))
    assert error.outcome == "failed" and error.detail["job"] == "retention"
    assert error.detail["error"] == "OSError: [Errno 5] Input/output error"
    assert (error.detail["attempt"], error.detail["retry_in"]) == (1, 0.5)

    _publish_aged(magda, "AGED.xml", days=40)
    magda.journal.wait_for(Query(kind="partner.retention", partner="magda", path="publiek/AGED.xml"))

    report = magda.report()
    assert report.partner_errors == (error,) and report.passed
    assert "ERROR  the partner itself failed 1 time(s)" in report.to_text()
    assert '<error message="OSError: [Errno 5] Input/output error" type="PartnerError">' in report.to_junit()
    assert report.to_dict()["partner_errors"][0]["id"] == error.id

    assert suite.admin is not None
    status = subprocess.run(
        [sys.executable, "-m", "mockpartners", "status", "--url", suite.admin.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "partner-side errors since start: 1" in status.stdout
    assert "retention: OSError: [Errno 5] Input/output error" in status.stdout


FAILING_TEST = """
from mockpartners.processors import RetentionProcessor


def _broken(self):
    raise RuntimeError("the disk went away")


def test_provokes_a_partner_error(mockpartners, monkeypatch):
    monkeypatch.setattr(RetentionProcessor, "sweep", _broken)
    magda = mockpartners("magda")["magda"]
    magda.journal.wait_for(kind="partner.error")


def test_allows_it(mockpartners, monkeypatch):
    mockpartners.allow_partner_errors()
    monkeypatch.setattr(RetentionProcessor, "sweep", _broken)
    magda = mockpartners("magda")["magda"]
    magda.journal.wait_for(kind="partner.error")
"""


def test_a_partner_error_fails_the_test_in_whose_time_it_happened(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=FAILING_TEST)
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*the partners failed in the background during this test (partner.error):*",
            "*partner.error * job=retention error=RuntimeError: the disk went away*",
        ]
    )
