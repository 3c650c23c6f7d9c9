"""What the partner checks inside a file it imports: CSV records, line by line, column by column.

The Lucca help page says Lucca imports files a payroll tool drops (users, for instance) and does not give
their format: the columns and their patterns are profile data, so each of our choices is one line to change.
"""

from __future__ import annotations

import codecs
import re

from pydantic import Field, field_validator

from ._types import Model

__all__ = ["Column", "Records"]


class Column(Model):
    """One column of a record: whether it must hold something, and what."""

    required: bool = True
    pattern: str | None = None
    """A regular expression the whole value must match (when the value is not empty)."""
    meaning: str = ""
    """What the column holds, said in a rejection ("an e-mail address")."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return pattern


class Records(Model):
    """A CSV file with a header line naming ``columns`` in order, then one record per line."""

    delimiter: str = Field(default=";", min_length=1, max_length=1)
    encoding: str = "utf-8"
    """How the file is read; a UTF-8 byte order mark (Excel's "CSV UTF-8") is accepted either way."""
    columns: dict[str, Column] = Field(min_length=1)
    max_rejections_listed: int = Field(default=100, ge=1)
    """How many rejected lines the report lists one by one (it counts them all)."""

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, iso-8859-15)") from None
        return encoding
