"""The virtual clock and the durations partners state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockpartners import Clock
from mockpartners._duration import Duration
from mockpartners.errors import UsageError


@pytest.mark.parametrize(
    ("text", "months", "seconds"),
    [
        ("0s", 0, 0),
        ("250ms", 0, 0.25),
        ("15m", 0, 900),
        ("1h30m", 0, 5400),
        ("61d", 0, 61 * 86400),
        ("2w", 0, 14 * 86400),
        ("2 weeks", 0, 14 * 86400),
        ("2 months", 2, 0),
        ("1mo", 1, 0),
        (90, 0, 90),
    ],
)
def test_durations_parse(text: str | int, months: int, seconds: float) -> None:
    assert Duration.parse(text) == Duration(months, seconds)


@pytest.mark.parametrize("text", ["", "5", "two weeks", "5x", "1.5 months"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(UsageError, match="duration"):
        Duration.parse(text)


def test_months_follow_the_calendar() -> None:
    assert Duration.parse("2 months").after(datetime(2026, 12, 31, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )
    assert Duration.parse("1 month").before(datetime(2026, 3, 31, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = Clock()
    start = clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == start
    assert clock.advance("61d") == start + timedelta(days=61)
    assert clock.advance(Duration(months=1)) == datetime(2026, 4, 3, tzinfo=UTC)


def test_advancing_a_running_clock_shifts_it_and_wakes_listeners() -> None:
    clock = Clock()
    calls: list[int] = []
    clock.on_change(lambda: calls.append(1))
    before = clock.now()
    clock.advance("1h")
    assert clock.now() - before >= timedelta(hours=1)
    clock.reset()
    assert clock.now() - before < timedelta(minutes=1)
    assert len(calls) == 2


def test_seconds_until_a_moment() -> None:
    clock = Clock()
    now = clock.freeze()
    assert clock.seconds_until(now) == 0
    assert clock.seconds_until(now + timedelta(seconds=5)) is None  # frozen: only advance gets there
    clock.unfreeze()
    remaining = clock.seconds_until(clock.now() + timedelta(seconds=5))
    assert remaining is not None and 4 < remaining <= 5
