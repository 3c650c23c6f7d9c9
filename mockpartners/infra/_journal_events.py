"""The journal's rows as Python sees them: an event, a query, and how a row of the table becomes an event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["COLUMNS", "Event", "Query", "event_from_row"]

COLUMNS = (
    "id",
    "time",
    "partner",
    "protocol",
    "session",
    "account",
    "client",
    "kind",
    "path",
    "outcome",
    "ref",
    "detail",
)


@dataclass(frozen=True)
class Event:
    """One journal row. ``ref`` points at the event this one follows up (an answer refers to its upload)."""

    id: int
    time: datetime
    kind: str
    partner: str | None = None
    protocol: str | None = None
    session: str | None = None
    account: str | None = None
    client: str | None = None
    path: str | None = None
    outcome: str = "ok"
    ref: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (the format of ``mockpartners journal --json``)."""
        return {
            "id": self.id,
            "time": self.time.isoformat(timespec="milliseconds"),
            "kind": self.kind,
            "partner": self.partner,
            "protocol": self.protocol,
            "session": self.session,
            "account": self.account,
            "client": self.client,
            "path": self.path,
            "outcome": self.outcome,
            "ref": self.ref,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        details = " ".join(f"{key}={value}" for key, value in self.detail.items())
        who = " ".join(part for part in (self.partner, self.session, self.account, self.client) if part)
        return (
            f"#{self.id} {self.time.isoformat(timespec='milliseconds')} {who} {self.kind}"
            f"{' ' + self.path if self.path else ''} {self.outcome}{' ' + details if details else ''}"
        )


@dataclass(frozen=True)
class Query:
    """Which events to return. ``kind`` may end with ``*`` ("fs.*"); ``after`` is an event id cursor."""

    kind: str | Sequence[str] | None = None
    partner: str | None = None
    account: str | None = None
    session: str | None = None
    path: str | None = None
    outcome: str | None = None
    ref: int | None = None
    after: int = 0

    def sql(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ["id > ?"]
        values: list[Any] = [self.after]
        kinds = [self.kind] if isinstance(self.kind, str) else list(self.kind or [])
        if kinds:
            parts = []
            for kind in kinds:
                parts.append("kind LIKE ?" if kind.endswith("*") else "kind = ?")
                values.append(kind[:-1] + "%" if kind.endswith("*") else kind)
            clauses.append("(" + " OR ".join(parts) + ")")
        for column in ("partner", "account", "session", "path", "outcome", "ref"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        return " AND ".join(clauses), values

    def describe(self) -> str:
        shown = {key: value for key, value in self.__dict__.items() if value not in (None, 0)}
        return ", ".join(f"{key}={value!r}" for key, value in shown.items()) or "any event"


def event_from_row(row: Sequence[Any]) -> Event:
    values = dict(zip(COLUMNS, row, strict=True))
    values["time"] = datetime.fromisoformat(values["time"])
    values["detail"] = json.loads(values["detail"])
    return Event(**values)
