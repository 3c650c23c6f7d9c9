"""Partner-side pickup: requests arriving in an inbox are accepted or rejected, and answered.

Protocol-agnostic: it learns of arrivals from journal events (an upload closed, a file dropped through
the API) and works on the file tree only. What it does is the profile's ``pickup`` section, so ONSS's
"a .filepart is rejected for an incorrect name" is data, not code.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import string
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..config import AnswerTemplate, Pickup
from ..journal import Event
from ._spool import Spool, Ticket

if TYPE_CHECKING:
    from ..partner import Partner

__all__ = ["PickupProcessor", "Request"]

_FOLLOW_UPS = (
    "partner.pickup",
    "partner.answer",
    "partner.reject",
    "partner.skip",
    "partner.ignore",
    "partner.incomplete",
)


@dataclass(frozen=True)
class Request:
    """A file that arrived in an inbox; ``request_id`` is the journal event that brought it."""

    request_id: int
    username: str
    path: str
    received_at: datetime

    @property
    def inbox(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


class PickupProcessor:
    def __init__(self, partner: Partner, rules: Pickup) -> None:
        self.partner = partner
        self.rules = rules
        self.spool = Spool(partner.state.spool(partner.name))
        self._pattern = re.compile(rules.name_pattern)
        self._latest: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def watches(self, relative_path: str) -> bool:
        """Whether a file at this home-relative path sits directly in an inbox."""
        return posixpath.dirname(relative_path) in self.rules.inboxes

    def arrived(self, request: Request) -> None:
        """A complete file arrived: take it when the pickup delay has passed on the virtual clock."""
        with self._lock:
            self._latest[(request.username, request.path)] = request.request_id
        due = self.rules.delay.after(request.received_at)
        self.partner.scheduler.schedule(due, lambda: self._run(request))

    def incomplete(self, request: Request, reason: str) -> None:
        """An upload ended without the client closing it: the partner never takes a partial file."""
        self._record("partner.incomplete", request, reason=reason)

    def recover(self) -> None:
        """After a restart: finish what was half done, then take what arrived but was never taken."""
        self.spool.prepare()
        for ticket in self.spool.unfinished():
            self._resume(ticket)
        journal = self.partner.journal
        for event in journal.unanswered_arrivals(self.partner.name, _FOLLOW_UPS):
            path = str(event.detail["arrival"])
            if self.watches(path) and event.account and not self.spool.knows(event.id):
                self.arrived(Request(event.id, event.account, path, event.time))

    def _run(self, request: Request) -> None:
        try:
            self._take(request)
        except Exception as error:
            # journalled for the user; the request is finished by recovery at the next start
            self.partner.journal.record(
                "partner.error",
                partner=self.partner.name,
                account=request.username,
                path=request.path,
                ref=request.request_id,
                outcome="failed",
                error=f"{type(error).__name__}: {error}",
            )
            raise

    def _take(self, request: Request) -> None:
        home = self.partner.tree.home(request.username)
        real = home.root / request.path
        with self._lock:
            latest = self._latest.get((request.username, request.path))
        if latest != request.request_id:
            self._record("partner.skip", request, reason=f"superseded by a newer upload (#{latest})")
            return
        if self.partner.is_being_written(request.username, request.path):
            self._record("partner.skip", request, reason="a new upload of this file is in progress")
            return
        if not real.is_file():
            self._record("partner.skip", request, reason="the file was gone before the partner took it")
            return
        decision, reason = self._decide(request.name)
        if decision == "ignore":
            self._record("partner.ignore", request, reason=reason)
            return
        size, digest = _digest(real)
        moved = decision == "accepted" and self.rules.after_pickup == "remove"
        ticket = Ticket(
            request.request_id,
            request.username,
            request.path,
            request.inbox,
            self.rules.inboxes[request.inbox],
            request.received_at.isoformat(),
            self.partner.clock.now().isoformat(),
            decision,
            reason,
            size,
            digest,
            moved,
        )
        self.spool.save(ticket)
        if moved:
            os.replace(real, self.spool.request_path(ticket.request_id))
        self._record("partner.pickup", request, decision=decision, size=size, sha256=digest, kept=not moved)
        self._answer(ticket)

    def _resume(self, ticket: Ticket) -> None:
        home = self.partner.tree.home(ticket.username)
        request = self.spool.request_path(ticket.request_id)
        if ticket.moved and not request.exists() and (home.root / ticket.path).exists():
            os.replace(home.root / ticket.path, request)
        self._answer(ticket, resumed=True)

    def _answer(self, ticket: Ticket, *, resumed: bool = False) -> None:
        accepted = ticket.decision == "accepted"
        kind = "partner.answer" if accepted else "partner.reject"
        if self.partner.journal.events(kind=kind, partner=self.partner.name, ref=ticket.request_id):
            self.spool.finish(ticket)
            return
        template = self.rules.answers.accepted if accepted else self.rules.answers.rejected
        detail: dict[str, Any] = {"reason": ticket.reason} if not accepted else {}
        if template is not None:
            answer_path = self._write_answer(ticket, template)
            detail["answer"] = answer_path
        if resumed:
            detail["resumed"] = True
        self.partner.journal.record(
            kind,
            partner=self.partner.name,
            account=ticket.username,
            path=ticket.path,
            ref=ticket.request_id,
            **detail,
        )
        self.spool.finish(ticket)

    def _write_answer(self, ticket: Ticket, template: AnswerTemplate) -> str:
        variables = _variables(ticket, self.partner.name)
        name = string.Template(template.name).safe_substitute(variables).replace("/", "_")
        content = string.Template(template.content).safe_substitute(variables).encode()
        relative = f"{ticket.answer_folder}/{name}"
        target = self.partner.tree.home(ticket.username).root / relative
        if not (target.is_file() and target.read_bytes() == content):
            temporary = self.spool.pending / f"{ticket.request_id}.answer.tmp"
            temporary.write_bytes(content)
            os.replace(temporary, target)
        return relative

    def _decide(self, name: str) -> tuple[str, str]:
        refused = "reject" if self.rules.unmatched == "reject" else "ignore"
        for suffix in self.rules.temporary_suffixes:
            if name.endswith(suffix):
                return refused, (
                    f"{self.rules.rejection_reason}: {name!r} ends with the temporary suffix {suffix!r}"
                    " (an upload that was never renamed to its final name)"
                )
        if not self._pattern.search(name):
            return (
                refused,
                f"{self.rules.rejection_reason}: {name!r} does not match {self.rules.name_pattern}",
            )
        return "accepted", ""

    def _record(self, kind: str, request: Request, **detail: Any) -> Event:
        return self.partner.journal.record(
            kind,
            partner=self.partner.name,
            account=request.username,
            path=request.path,
            ref=request.request_id,
            **detail,
        )


def _digest(path: os.PathLike[str]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _variables(ticket: Ticket, partner: str) -> dict[str, object]:
    processed = datetime.fromisoformat(ticket.processed_at).astimezone(UTC)
    received = datetime.fromisoformat(ticket.received_at).astimezone(UTC)
    name = posixpath.basename(ticket.path)
    stem, dot, suffix = name.rpartition(".")
    return {
        "name": name,
        "stem": stem if dot else name,
        "suffix": dot + suffix if dot else "",
        "account": ticket.username,
        "folder": ticket.inbox,
        "answer_folder": ticket.answer_folder,
        "partner": partner,
        "received_at": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "processed_at": processed.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date": processed.strftime("%Y%m%d"),
        "time": processed.strftime("%H%M%S"),
        "size": ticket.size,
        "sha256": ticket.sha256,
        "request_id": ticket.request_id,
        "reason": ticket.reason,
    }
