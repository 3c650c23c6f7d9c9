"""Checking the records of a file the partner imports: the header, then each line, column by column.

A file that is not what the partner reads at all (another encoding, another header) is invalid as a whole;
otherwise each line is accepted or rejected with its reason, as an import report lists them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from typing import BinaryIO

from ..model.loading import Records

__all__ = ["InvalidFile", "RecordsChecked", "check_records"]


class InvalidFile(Exception):
    """The file as a whole cannot be imported (its reason goes into the answer)."""


@dataclass(frozen=True)
class RecordsChecked:
    lines: int
    accepted: int
    rejections: tuple[str, ...]
    """One line per rejected record, at most ``max_rejections_listed``, then how many more there were."""

    @property
    def rejected(self) -> int:
        return self.lines - self.accepted


def check_records(handle: BinaryIO, rules: Records) -> RecordsChecked:
    """Read the whole file (rewound afterwards) and check every record against ``rules``."""
    encoding = "utf-8-sig" if codecs.lookup(rules.encoding).name == "utf-8" else rules.encoding
    text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
    try:
        return _checked(csv.reader(text, delimiter=rules.delimiter, strict=True), rules)
    except UnicodeDecodeError as error:
        raise InvalidFile(f"the file is not {rules.encoding} text (byte {error.start} of a chunk)") from None
    except csv.Error as error:
        raise InvalidFile(f"not a CSV file the partner reads: {error}") from None
    finally:
        text.detach()
        handle.seek(0)


def _checked(reader: csv.Reader, rules: Records) -> RecordsChecked:  # type: ignore[name-defined]
    expected = list(rules.columns)
    header = next(reader, None)
    if header is None:
        raise InvalidFile("the file is empty: expected a header line " + rules.delimiter.join(expected))
    if [name.strip() for name in header] != expected:
        raise InvalidFile(
            f"the header is {rules.delimiter.join(header)!r}, expected {rules.delimiter.join(expected)!r}"
        )
    patterns = {name: re.compile(column.pattern) for name, column in rules.columns.items() if column.pattern}
    lines = accepted = 0
    rejections: list[str] = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue  # blank lines are not records
        lines += 1
        reason = _refusal(values, rules, patterns)
        if reason is None:
            accepted += 1
        elif len(rejections) < rules.max_rejections_listed:
            rejections.append(f"line {reader.line_num}: {reason}")
    listed_all = lines - accepted <= rules.max_rejections_listed
    more = () if listed_all else (f"... and {lines - accepted - len(rejections)} more rejected lines",)
    return RecordsChecked(lines, accepted, (*rejections, *more))


def _refusal(values: list[str], rules: Records, patterns: dict[str, re.Pattern[str]]) -> str | None:
    if len(values) != len(rules.columns):
        return f"{len(values)} fields, expected {len(rules.columns)}"
    for (name, column), value in zip(rules.columns.items(), values, strict=True):
        value = value.strip()
        if not value:
            if column.required:
                return f"{name} is empty"
            continue
        pattern = patterns.get(name)
        if pattern is not None and not pattern.fullmatch(value):
            meaning = f" (expected {column.meaning})" if column.meaning else ""
            return f"{name} {value[:60]!r} is not valid{meaning}"
    return None
