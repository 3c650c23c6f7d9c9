"""The partner's own desk, outside every home: what it took from the inboxes, and how far it got.

Each request gets a ticket (JSON) before anything moves; every step after that is an atomic rename or an
idempotent write, so a server killed at any instant resumes each request exactly where it stopped:
no request is lost and none is answered twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ..infra.atomic import write_atomically

__all__ = ["Spool", "Ticket"]


@dataclass(frozen=True)
class Ticket:
    """A request the partner has decided about."""

    request_id: int
    username: str
    path: str
    inbox: str
    answer_folder: str
    received_at: str
    processed_at: str
    decision: str
    reason: str
    size: int
    sha256: str
    moved: bool
    answer: str = ""
    """The answer's home-relative path, chosen when the request is taken (empty: no answer)."""
    lines: int = 0
    accepted_lines: int = 0
    rejections: str = ""
    """The records the partner checked (a pickup with ``records``): how many, how many it accepted, and one
    line per rejected record."""


class Spool:
    def __init__(self, root: Path) -> None:
        self.pending = root / "pending"
        self.done = root / "done"

    def prepare(self) -> None:
        self.pending.mkdir(parents=True, exist_ok=True)
        self.done.mkdir(parents=True, exist_ok=True)

    def request_path(self, request_id: int, *, done: bool = False) -> Path:
        return (self.done if done else self.pending) / f"{request_id}.request"

    def knows(self, request_id: int) -> bool:
        return any((folder / f"{request_id}.json").exists() for folder in (self.pending, self.done))

    def save(self, ticket: Ticket) -> None:
        write_atomically(self.pending / f"{ticket.request_id}.json", json.dumps(asdict(ticket)).encode())

    def finish(self, ticket: Ticket) -> None:
        """Move the ticket (and the request it took) to ``done``: the last step of a request."""
        request = self.request_path(ticket.request_id)
        if request.exists():
            os.replace(request, self.request_path(ticket.request_id, done=True))
        os.replace(self.pending / f"{ticket.request_id}.json", self.done / f"{ticket.request_id}.json")

    def ticket(self, request_id: int) -> Ticket | None:
        """The unfinished ticket of a request, if the partner already decided about it."""
        path = self.pending / f"{request_id}.json"
        try:
            return Ticket(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def unfinished(self) -> Iterator[Ticket]:
        for path in sorted(self.pending.glob("*.json"), key=lambda entry: int(entry.stem)):
            yield Ticket(**json.loads(path.read_text(encoding="utf-8")))
