"""Durations as partners state them: "0s", "250ms", "15m", "61d", "two weeks" written as "2w", "2 months".

Months stay calendar months (MAGDA keeps files "twee maanden", not 60 days), so a duration is a number of
months plus a number of seconds, and adding it to a date follows the calendar.

A duration is never negative, never NaN or infinite, and never longer than a century: no partner states
such a span, and one that big only overflows the dates it is added to (a clock advanced by
"99999999999999999999d" answered a 500). Adding one to a date saturates at the calendar's ends.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import UsageError

_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
    "w": 7 * 86400,
    "week": 7 * 86400,
}
_MONTH_UNITS = {"mo", "month"}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*")
_MAXIMUM_YEARS = 100
_YEAR = 365.25 * 86400


@dataclass(frozen=True, order=True)
class Duration:
    """A span of calendar months plus seconds; ``Duration.parse("2 months")``."""

    months: int = 0
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str | int | float) -> Duration:
        """Read "90s", "15m", "1h30m", "61d", "2w", "2mo", "2 months"; a bare number is seconds."""
        if isinstance(text, bool):
            raise UsageError(f"not a duration: {shown(text)}")
        if isinstance(text, int | float):
            return cls(seconds=float(text))._checked(text)
        if not isinstance(text, str):
            raise UsageError(f"not a duration: {shown(text)} (expected e.g. 30s, 15m, 61d or 2 months)")
        cleaned = text.strip().lower()
        if not cleaned:
            raise UsageError("empty duration: expected e.g. 0s, 250ms, 15m, 61d, 2w or 2 months")
        months, seconds, position = 0.0, 0.0, 0
        for match in _PART.finditer(cleaned):
            if match.start() != position:
                break
            number, unit = match.group(1), match.group(2)
            if unit not in _UNITS and unit not in _MONTH_UNITS and unit.endswith("s"):
                unit = unit[:-1]
            if unit in _MONTH_UNITS:
                if "." in number:
                    break
                months += float(number)  # float: a 5000-digit count must not reach int()'s digit limit
            elif unit in _UNITS:
                seconds += float(number) * _UNITS[unit]
            else:
                break
            position = match.end()
        if position != len(cleaned) or position == 0:
            raise UsageError(
                f"not a duration: {shown(text)}: expected a number and a unit (ms, s, m, h, d, w, months), "
                "e.g. 0s, 250ms, 15m, 61d, 2w or 2 months"
            )
        if _beyond_a_century(months, seconds):
            raise _too_long(text)
        return cls(months=int(months), seconds=seconds)

    def _checked(self, given: object) -> Duration:
        """This duration if it is a usable span: finite, not negative, at most a century."""
        if not math.isfinite(self.seconds):
            raise UsageError(f"not a duration: {shown(given)}: expected a finite number of seconds")
        if self.seconds < 0:
            raise UsageError(f"not a duration: {shown(given)}: a duration is never negative")
        if _beyond_a_century(self.months, self.seconds):
            raise _too_long(given)
        return self

    def after(self, moment: datetime) -> datetime:
        """The moment this duration after ``moment``, months counted on the calendar; the last moment
        a datetime can hold if that lies beyond it."""
        try:
            shifted = _add_months(moment, self.months) if self.months else moment
            return shifted + timedelta(seconds=self.seconds)
        except (OverflowError, ValueError):
            return _edge(datetime.max, moment) if self.total_seconds() >= 0 else _edge(datetime.min, moment)

    def before(self, moment: datetime) -> datetime:
        """The moment this duration before ``moment``, months counted on the calendar; the first moment
        a datetime can hold if that lies before it."""
        try:
            shifted = _add_months(moment, -self.months) if self.months else moment
            return shifted - timedelta(seconds=self.seconds)
        except (OverflowError, ValueError):
            return _edge(datetime.min, moment) if self.total_seconds() >= 0 else _edge(datetime.max, moment)

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.seconds == 0

    def total_seconds(self) -> float:
        """Seconds, a month counted as 30 days: for delays, never for retention arithmetic."""
        return self.months * 30 * 86400 + self.seconds

    def __str__(self) -> str:
        parts = [f"{self.months}mo"] if self.months else []
        remaining = self.seconds
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            count = int(remaining // size)
            if count:
                parts.append(f"{count}{unit}")
                remaining -= count * size
        if remaining % 1:
            parts.append(f"{round(remaining * 1000)}ms")
        elif remaining or not parts:
            parts.append(f"{int(remaining)}s")
        return "".join(parts)


def shown(value: object) -> str:
    """A value given by a user, for an error message: cut short, as a megabyte makes no better message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _beyond_a_century(months: float, seconds: float) -> bool:
    """Longer than the longest span accepted (months of a year's twelfth, so 1200 months is a century)."""
    return months / 12 * _YEAR + seconds > _MAXIMUM_YEARS * _YEAR


def _too_long(given: object) -> UsageError:
    return UsageError(f"not a duration: {shown(given)}: longer than {_MAXIMUM_YEARS} years")


def _edge(limit: datetime, moment: datetime) -> datetime:
    """datetime's first or last moment, in ``moment``'s time zone (none if it has none)."""
    return limit.replace(tzinfo=moment.tzinfo)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
