"""The virtual clock and the durations partners state."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mockpartners import Clock
from mockpartners.infra.journal import Journal
from mockpartners.infra.state import StateDir
from mockpartners.model.duration import Duration
from mockpartners.model.errors import UsageError
from tests.running import COMMAND, NO_TOKEN, Running, error_line, up


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


def test_a_saved_clock_restores() -> None:
    frozen = Clock()
    moment = frozen.freeze(datetime(2030, 1, 31, 9, tzinfo=UTC))
    restored = Clock()
    restored.restore(frozen.saved())
    assert restored.frozen and restored.now() == moment
    shifted = Clock()
    shifted.advance("400d")
    restored.restore(shifted.saved())
    assert not restored.frozen and restored.now() - datetime.now(UTC) > timedelta(days=399)


@pytest.mark.parametrize(
    ("saved", "message"),
    [
        ({}, "expected frozen_at"),
        ({"offset_seconds": "1"}, "expected frozen_at"),
        ({"offset_seconds": 1, "frozen_at": "2030-01-31T09:00:00Z"}, "expected frozen_at"),
        ({"offset_seconds": 1e20}, "not a usable number of seconds"),
        ({"offset_seconds": float("nan")}, "not a usable number of seconds"),
        ({"frozen_at": "2030-01-31T09:00:00"}, "no time zone"),
        ({"frozen_at": "soon"}, "Invalid isoformat"),
    ],
)
def test_a_bad_saved_clock_is_refused(saved: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Clock().restore(saved)


def test_not_before_only_moves_forward() -> None:
    clock = Clock()
    start = clock.freeze(datetime(2026, 12, 1, tzinfo=UTC))
    clock.not_before(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == start
    clock.not_before(datetime(2027, 1, 31, tzinfo=UTC))
    assert clock.now() == datetime(2027, 1, 31, tzinfo=UTC)


def _clock(running: Running, *action: str) -> tuple[datetime, str]:
    """``mockpartners clock ACTION``: the virtual time it printed, and how the clock runs."""
    result = subprocess.run(
        [*COMMAND, "clock", *action, *running.where], capture_output=True, text=True, timeout=60, env=NO_TOKEN
    )
    assert result.returncode == 0, result.stderr
    moment, how = result.stdout.strip().split(" ", 1)
    return datetime.fromisoformat(moment), how


def _start_times(state: Path) -> list[datetime]:
    journal = Journal(state / "journal.sqlite3", read_only=True)
    try:
        return [event.time for event in journal.events(kind="suite.start")]
    finally:
        journal.close()


def test_the_virtual_clock_goes_on_across_restarts(tmp_path: Path, mockpartners_credentials: Path) -> None:
    """Advanced to 2027-01-31, the next run's events were stamped 2026-12-01: the clock's offset now lives
    in the state directory, and journal times never go back, even when that file is lost."""
    state = tmp_path / "state"
    with up(state, mockpartners_credentials) as running:
        advanced, how = _clock(running, "advance", "400d")
        assert how == "(running, shifted)"
    with up(state, mockpartners_credentials) as running:
        assert _clock(running)[0] > advanced
    assert _start_times(state)[-1] > advanced

    (state / "clock.json").unlink()  # lost: the journal's newest event says where the clock was
    with up(state, mockpartners_credentials) as running:
        assert _clock(running)[0] > advanced
        frozen, how = _clock(running, "freeze", "2030-01-31T09:00:00Z")
        assert (frozen, how) == (datetime(2030, 1, 31, 9, tzinfo=UTC), "(frozen)")
    with up(state, mockpartners_credentials) as running:
        assert _clock(running) == (frozen, "(frozen)")
        _clock(running, "reset")  # the one way back to the wall clock
    with up(state, mockpartners_credentials) as running:
        now, how = _clock(running)
        assert how == "(running, wall clock)" and now < advanced


def test_a_corrupt_clock_state_is_one_clear_line(tmp_path: Path, mockpartners_credentials: Path) -> None:
    state = tmp_path / "state"
    StateDir(state).copy_credentials_from(StateDir(mockpartners_credentials), "onss")
    (state / "clock.json").write_text('{"format": 1, "offset_seconds": "soon"}\n')
    result = subprocess.run(
        [*COMMAND, "up", "onss", "--ports", "ephemeral", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
        env=NO_TOKEN,
    )
    assert error_line(result) == (
        f"mockpartners: error: {state}/clock.json: not a clock state (expected frozen_at (an ISO 8601 "
        "moment) or offset_seconds (a number)); delete it to start the clock at the journal's newest event "
        "(or on the wall clock)"
    )
