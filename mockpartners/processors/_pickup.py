"""Partner-side pickup: requests arriving in an inbox are accepted, rejected or found invalid, and answered.

Protocol-agnostic: it learns of arrivals from journal events (an upload closed, a file moved in, a file
dropped through the API) and works on the file tree only. What it does is a ``kind: pickup`` spec (or the
profile's ``pickup`` shorthand), so ONSS's "a .filepart is rejected for an incorrect name" and MAGDA's
"copied to cache/to_vip, removed from to_vip, answered in from_vip" are data, not code. A profile may have
several, each on its own inboxes; they share the partner's spool, each resuming only its own tickets.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from ..infra.atomic import open_regular, write_atomically, writing_atomically
from ..infra.journal import Event
from ..infra.scheduler import Job
from ..model.duration import Duration
from ..model.loading import AnswerTemplate, Pickup
from ..ports.context import ProcessorContext
from ..scenarios import names
from ._answers import digest, numbered, render
from ._base import BaseProcessor
from ._records import InvalidFile, check_records
from ._spool import Spool, Ticket

__all__ = ["PickupProcessor", "Request"]

_FOLLOW_UPS = (
    "partner.pickup",
    "partner.answer",
    "partner.reject",
    "partner.skip",
    "partner.ignore",
    "partner.incomplete",
)
_PREMATURE = (
    "incomplete request: the partner took the file while it was still being uploaded under its final name "
    "(upload under a temporary name then rename, or into a subfolder then move)"
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


class PickupProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, rules: Pickup) -> None:
        self.context = context
        self.rules = rules
        self.spool = Spool(context.spool)
        self._pattern = re.compile(rules.name_pattern)
        self._latest: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def watches(self, username: str, relative_path: str) -> bool:
        """Whether a file at this path of this account's home sits directly in one of its inboxes."""
        return self._answer_folder(username, posixpath.dirname(relative_path)) is not None

    def _answer_folder(self, username: str, inbox: str) -> str | None:
        """Where requests taken from ``inbox`` are answered, if it is one of this account's inboxes."""
        answer_folder = self.rules.inboxes.get(inbox)
        if answer_folder is None and self.rules.remote_folders:
            answer_folder = self._remote_inboxes(username).get(inbox)
        return answer_folder

    def _remote_inboxes(self, username: str) -> dict[str, str]:
        """The account's inboxes among its remote folders (by their use), each with its answer folder."""
        entry = self.context.accounts.get(username)
        folders = entry.account.remote_folders if entry is not None else ()
        inboxes: dict[str, str] = {}
        for inbox_use, answer_use in self.rules.remote_folders.items():
            answers = [folder.relative for folder in folders if folder.use == answer_use]
            for folder in folders:
                if folder.use == inbox_use and answers:
                    inboxes[folder.relative] = answers[0]
        return inboxes

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        self._arrived(Request(event.id, username, relative_path, event.time))

    def _arrived(self, request: Request) -> None:
        """A complete file arrived: take it when the pickup delay has passed on the virtual clock.

        A name the partner does not look for is ignored at once (its scanner would never see it).
        """
        decision, reason = self.decide(request.name)
        if decision == "ignore":
            self._record("partner.ignore", request, reason=reason)
            return
        with self._lock:
            self._latest[(request.username, request.path)] = request.request_id
        late = self.context.scenarios.active(names.ANSWERS_LATE)
        delay = Duration.parse(str(late["delay"])) if late else self.rules.delay
        due = delay.after(request.received_at)
        self.context.scheduler.schedule(due, self._job(request))

    def forget(self) -> None:
        """After a reset: requests known so far are gone (their jobs skip, as the files are gone too)."""
        with self._lock:
            self._latest.clear()
        self.spool.prepare()

    def upload_started(self, username: str, path: str) -> None:
        """A client writes straight under a name the partner takes: it could see the file half-written."""
        if self.rules.direct_uploads == "allowed" or self.decide(posixpath.basename(path))[0] != "accepted":
            return
        harsh = self.rules.direct_uploads == "harsh"
        event = self.context.journal.record(
            "partner.violation",
            account=username,
            path=path,
            rule="atomic-upload",
            reason="uploaded directly under its final name: the partner may take it before it is complete",
            taken_now=harsh,
        )
        if harsh:
            request = Request(event.id, username, path, event.time)
            self.context.scheduler.schedule(event.time, self._job(request, premature=True))

    def incomplete(self, username: str, relative_path: str, event: Event, reason: str) -> None:
        """An upload that did not complete: the partner never takes a partial file as a request."""
        request = Request(event.id, username, relative_path, event.time)
        self._record("partner.incomplete", request, reason=reason)

    def recover(self) -> None:
        """After a restart: finish what was half done, then take what arrived but was never taken."""
        self.spool.prepare()
        for ticket in self.spool.unfinished():
            if self._answer_folder(ticket.username, ticket.inbox) is not None:  # else another pickup's
                self._resume(ticket)
        for event in self.context.journal.unanswered_arrivals(self.context.name, _FOLLOW_UPS):
            path = str(event.detail["arrival"])
            if event.account and self.watches(event.account, path) and not self.spool.knows(event.id):
                self._arrived(Request(event.id, event.account, path, event.time))

    def _job(self, request: Request, *, premature: bool = False) -> Job:
        """Taking one request: a failure is a ``partner.error`` and the request is tried again where it
        stopped (its ticket, if the partner had decided), then at the next start if it keeps failing."""

        def run() -> None:
            ticket = self.spool.ticket(request.request_id)
            if ticket is not None:
                self._resume(ticket)
            else:
                self._take(request, premature=premature)

        report = self.context.job_failed(
            "pickup", account=request.username, path=request.path, ref=request.request_id
        )
        return Job(run, "pickup", report)

    def _take(self, request: Request, *, premature: bool = False) -> None:
        real = self.context.tree.home(request.username).root / request.path
        skipped = None if premature else self._why_not_now(request)
        if skipped is not None:
            self._record("partner.skip", request, reason=skipped)
            return
        try:
            handle = open_regular(real)
        except FileNotFoundError:
            self._record("partner.skip", request, reason="the file was gone before the partner took it")
            return
        except OSError:
            reason = "not a plain file (a link or a folder): the partner takes only plain files"
            self._record("partner.skip", request, reason=reason)
            return
        with handle:
            self._take_open(request, real, handle, premature=premature)

    def _take_open(self, request: Request, real: Path, handle: BinaryIO, *, premature: bool) -> None:
        decision, reason = ("invalid", _PREMATURE) if premature else self.decide(request.name)
        size, sha256 = digest(handle)
        records = None
        if decision == "accepted" and self.rules.records is not None:
            try:
                records = check_records(handle, self.rules.records)
            except InvalidFile as invalid:
                decision, reason = "invalid", str(invalid)
        ticket = Ticket(
            request.request_id,
            request.username,
            request.path,
            request.inbox,
            self._answer_folder(request.username, request.inbox) or request.inbox,
            request.received_at.isoformat(),
            self.context.clock.now().isoformat(),
            decision,
            reason,
            size,
            sha256,
            moved=decision != "rejected" and self.rules.after_pickup == "remove",
            lines=records.lines if records else 0,
            accepted_lines=records.accepted if records else 0,
            rejections="\n".join(records.rejections) if records else "",
        )
        ticket = replace(ticket, answer=self._answer_path(ticket))
        self.spool.save(ticket)
        self._copy(ticket, handle)
        if ticket.moved:
            os.replace(real, self.spool.request_path(ticket.request_id))
        detail: dict[str, Any] = {
            "decision": decision,
            "size": size,
            "sha256": sha256,
            "kept": not ticket.moved,
        }
        if records is not None:
            detail.update(
                lines=records.lines, accepted_lines=records.accepted, rejected_lines=records.rejected
            )
        self._record("partner.pickup", request, **detail)
        self._answer(ticket)

    def _why_not_now(self, request: Request) -> str | None:
        with self._lock:
            latest = self._latest.get((request.username, request.path))
        if latest != request.request_id:
            return f"superseded by a newer upload (#{latest})"
        if self.context.is_being_written(request.username, request.path):
            return "a new upload of this file is in progress"
        return None

    def _copy(self, ticket: Ticket, source: BinaryIO) -> None:
        """The partner's own copy (MAGDA's cache/to_vip), written aside then renamed into place."""
        if self.rules.copy_to is None or ticket.decision == "rejected":
            return
        home = self.context.tree.home(ticket.username).root
        target = home / self.rules.copy_to / posixpath.basename(ticket.path)
        with writing_atomically(target, mode=0o644, mtime=self.context.virtual_mtime()) as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
        source.seek(0)

    def _resume(self, ticket: Ticket) -> None:
        if not ticket.answer:  # a ticket of an older version: its answer had the template's plain name
            template = self.template(ticket.decision)
            name = render(template, ticket, self.context.name)[0] if template else ""
            ticket = replace(ticket, answer=f"{ticket.answer_folder}/{name}" if name else "")
        home = self.context.tree.home(ticket.username)
        request = self.spool.request_path(ticket.request_id)
        if ticket.moved and not request.exists() and (home.root / ticket.path).exists():
            with contextlib.suppress(OSError), open_regular(home.root / ticket.path) as handle:
                self._copy(ticket, handle)
            os.replace(home.root / ticket.path, request)
        self._answer(ticket, resumed=True)

    def _answer(self, ticket: Ticket, *, resumed: bool = False) -> None:
        kind = "partner.answer" if ticket.decision == "accepted" else "partner.reject"
        if self.context.journal.events(kind=kind, partner=self.context.name, ref=ticket.request_id):
            self.spool.finish(ticket)
            return
        detail: dict[str, Any] = {"decision": ticket.decision}
        if ticket.decision != "accepted":
            detail["reason"] = ticket.reason
        template = self.template(ticket.decision)
        if template is not None and ticket.answer:
            self._write_answer(ticket, template)
            detail["answer"] = ticket.answer
        if resumed:
            detail["resumed"] = True
        self.context.journal.record(
            kind,
            account=ticket.username,
            path=ticket.path,
            ref=ticket.request_id,
            **detail,
        )
        self.spool.finish(ticket)

    def template(self, decision: str) -> AnswerTemplate | None:
        """The answer written for a decision (none: no answer)."""
        answers = self.rules.answers
        if decision == "accepted":
            return answers.accepted
        if decision == "invalid":
            return answers.invalid or answers.rejected
        return answers.rejected or answers.invalid

    def _answer_path(self, ticket: Ticket) -> str:
        """Where the answer goes. A request sent again before its first answer was fetched keeps that
        answer: with ``repeated_answers: number`` the new one is NAME.2.EXT (then .3, ...)."""
        template = self.template(ticket.decision)
        if template is None:
            return ""
        name = render(template, ticket, self.context.name)[0]
        folder = self.context.tree.home(ticket.username).root / ticket.answer_folder
        chosen, number = name, 1
        while self.rules.repeated_answers == "number" and os.path.lexists(folder / chosen):
            number += 1
            chosen = numbered(name, number)
        return f"{ticket.answer_folder}/{chosen}"

    def _write_answer(self, ticket: Ticket, template: AnswerTemplate) -> None:
        """Written whole under the name the ticket holds (a resumed request writes the same file again)."""
        content = render(template, ticket, self.context.name)[1]
        target = self.context.tree.home(ticket.username).root / ticket.answer
        write_atomically(target, content, mode=0o644, mtime=self.context.virtual_mtime())

    def decide(self, name: str) -> tuple[str, str]:
        """What the partner does with a file of this name: accepted, rejected or ignore, and why."""
        refused = "rejected" if self.rules.unmatched == "reject" else "ignore"
        rejecting = self.context.scenarios.active(names.REJECT_REQUESTS)
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
        if rejecting is not None:
            return "rejected", str(rejecting["reason"])
        return "accepted", ""

    def _record(self, kind: str, request: Request, **detail: Any) -> Event:
        return self.context.journal.record(
            kind,
            account=request.username,
            path=request.path,
            ref=request.request_id,
            **detail,
        )
