"""INSEE's TEDECO spool (TASK Collectivités' guide, I/2b): "TEDECO V2.86 ou Gex400 scrute présence de
requêtes et fichiers associés", compresses the file, segments it, deposits it on Atlas, then reconciles the
statuses (diffused, opened) and fetches the OCRE returns into ``ea/001`` or ``ea/a020``.

Clients write ``fi<xxxx>.<space>`` then ``rq<xxxx>.<space>`` into ``ead/<space>/``, over SFTP or straight on
disk. Files written on disk bring no upload event, so the spool is scanned every ``scan_every`` real
seconds (and at once when an SFTP upload of a request ends, and on demand). The request is the trigger:
the scan claims it with one atomic rename into the partner's desk, so a pair is taken once, whichever scan
sees it first; a request still being uploaded over SFTP is left for the next scan.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import string
import threading
from datetime import UTC, datetime
from typing import Any

from ..infra.atomic import open_regular, write_atomically
from ..infra.journal import Event
from ..infra.scheduler import Job
from ..model._tedeco import TedecoSpool
from ..model.duration import Duration
from ..ports.context import ProcessorContext
from ..ports.stateful_files import FileState
from ..scenarios import aimed_at, names
from ._base import BaseProcessor
from ._tedeco_files import BadRequest, compress, count_records, read_request
from ._tedeco_mails import LABELS, AgentState, Mail, MailBook, chrono_text

__all__ = ["TedecoProcessor"]

_BAD_ADDRESS = "erreur dans l'adresse destinataire: alias {alias!r} is not in the address book"
_NOT_ACKNOWLEDGED = "no opening notice within {hours:g} hours of the deposit (délai conventionnel)"


class TedecoProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: TedecoSpool) -> None:
        self.context = context
        self.spec = spec
        self.mails = MailBook(context.spool / "tedeco")
        self._scan_lock = threading.Lock()
        self._names = {
            space: re.compile(rf"^rq([0-9A-Za-z]{{1,8}})\.{re.escape(space)}$") for space in spec.spaces
        }

    # -- the partner's life ----------------------------------------------------------------------------

    def watches(self, username: str, relative_path: str) -> bool:
        return posixpath.dirname(relative_path) in self.spec.space_folders()

    def start(self) -> None:
        job = Job(
            self.scan, "tedeco-scan", self.context.job_failed("tedeco-scan"), pause=self.spec.scan_every
        )
        self.context.scheduler.schedule(self.context.clock.now(), job)

    def recover(self) -> None:
        """After a restart: a request claimed but not yet prepared is prepared; every mail on its way gets
        its next status planned again."""
        for mail in self.mails.unfinished():
            if mail.times:
                self._plan(mail)
            else:
                self._complete(mail)

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        """A request uploaded over SFTP is taken at once, without waiting for the next scan."""
        if posixpath.basename(relative_path).startswith("rq"):
            job = Job(lambda: self.scan(username), "tedeco-scan", self.context.job_failed("tedeco-scan"))
            self.context.scheduler.schedule(self.context.clock.now(), job)

    # -- the scan ---------------------------------------------------------------------------------------

    def scan(self, username: str | None = None) -> list[Event]:
        """Look at the spool of every account (or ``username``'s): take each request found; the events of
        what it found and took."""
        usernames = [username] if username else self.context.accounts.usernames()
        events: list[Event] = []
        with self._scan_lock:
            for name in usernames:
                events += self._scan_account(name)
        return events

    def _scan_account(self, username: str) -> list[Event]:
        agent = self.mails.agent(username)
        if agent.silent and not self._speaks_again(username, agent):
            return []
        found = self._waiting(username)
        if not found:
            return []
        paths = [f"{self.spec.spool}/{space}/rq{number}.{space}" for space, number in found]
        events = [self.context.journal.record("partner.scan", account=username, found=paths)]
        if self._scenario(names.AGENT_SILENT, username):
            return [*events, *self._connection_failed(username, agent)]
        for space, number in found:
            events += self._take(username, space, number)
        return events

    def _waiting(self, username: str) -> list[tuple[str, str]]:
        """The requests in the account's spool, as (space, number), but those a client is still uploading."""
        home = self.context.tree.home(username).root
        found = []
        for space, pattern in self._names.items():
            folder = f"{self.spec.spool}/{space}"
            with contextlib.suppress(OSError):
                for name in sorted(os.listdir(home / folder)):
                    matched = pattern.match(name)
                    if matched and not self.context.is_being_written(username, f"{folder}/{name}"):
                        found.append((space, matched.group(1)))
        return found

    # -- the agent's connection to Atlas (scenario agent-silent) -----------------------------------------

    def _connection_failed(self, username: str, agent: AgentState) -> list[Event]:
        """Guide I: "En cas de plantage de la liaison IP, après 3 tentatives de connexions, Gex400 se tait";
        each failed connection leaves its work file in tmpxted, which is why those folders need purging."""
        agent.failures += 1
        work = self.spec.work_folders[-1] if self.spec.work_folders else ""
        home = self.context.tree.home(username).root
        if work and (home / work).is_dir():
            write_atomically(home / work / f"x400.{agent.failures:03d}", b"TEDECO TSAP connection failed\n")
        events = [
            self.context.journal.record(
                "partner.connect", outcome="failed", account=username, attempt=agent.failures,
                reason="the IP link to Atlas is down (port 102, TSAP)",
            )
        ]  # fmt: skip
        if agent.failures >= self.spec.failed_connections:
            agent.silent = True
            folders = ", ".join(self.spec.work_folders)
            events.append(
                self.context.journal.record(
                    "partner.silent", outcome="failed", account=username, silent=True,
                    reason=f"{agent.failures} failed connections: silent until {folders} are purged",
                )
            )  # fmt: skip
        self.mails.save_agent(username, agent)
        return events

    def _speaks_again(self, username: str, agent: AgentState) -> bool:
        """A silent agent speaks again once its work folders are empty."""
        home = self.context.tree.home(username).root
        for folder in self.spec.work_folders:
            with contextlib.suppress(FileNotFoundError):
                if os.listdir(home / folder):
                    return False
        self.mails.save_agent(username, AgentState())
        folders = ", ".join(self.spec.work_folders)
        self.context.journal.record(
            "partner.silent",
            account=username,
            silent=False,
            reason=f"{folders} purged: the agent speaks again",
        )
        return True

    # -- taking a request -------------------------------------------------------------------------------

    def _take(self, username: str, space: str, number: str) -> list[Event]:
        """Claim the request (one rename: a pair is taken once), then its file; prepare the mail."""
        home = self.context.tree.home(username).root
        folder = f"{self.spec.spool}/{space}"
        request_path = f"{folder}/rq{number}.{space}"
        with self.mails.lock:
            mail = Mail(self.mails.next_id(username), username, space, number, {})
            work = self.mails.work(username, mail.mail_id)
            work.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                os.replace(home / request_path, work / "request")
            except FileNotFoundError:  # gone between the listing and now: nothing to take
                work.rmdir()
                return []
            self.mails.save(mail)  # claimed: a restart finishes the take (see recover)
        return self._complete(mail)

    def _complete(self, mail: Mail) -> list[Event]:
        """Prepare a claimed request's mail: read, check, compress; prepared, or failed with the reason."""
        request_path = f"{self.spec.spool}/{mail.space}/{mail.request_name}"
        try:
            self._prepare(mail)
        except BadRequest as bad:
            return self._refuse(mail, request_path, bad)
        return [self._pickup(mail, request_path, decision="accepted"), self._status(mail, "prepared")]

    def _prepare(self, mail: Mail) -> None:
        work = self.mails.work(mail.username, mail.mail_id)
        space = self.spec.spaces[mail.space]
        try:
            with open_regular(work / "request") as claimed:
                content = claimed.read(1 << 17)
        except OSError:
            raise BadRequest(f"{mail.request_name} is not a plain file") from None
        request = read_request(content, self.spec, space, mail.number, mail.space)
        mail.fields, mail.reference = dict(request.fields), request.reference
        beside = self.context.tree.home(mail.username).root / self.spec.spool / mail.space / request.file
        try:
            os.replace(beside, work / "file")
        except FileNotFoundError:
            if not (work / "file").exists():  # else moved already, by a run that stopped after it
                raise BadRequest(f"no file {request.file} beside the request (write it first)") from None
        try:
            handle = open_regular(work / "file")
        except OSError:
            raise BadRequest(f"{request.file} is not a plain file") from None
        with handle:
            mail.records = count_records(handle, self.spec.record_length)
            expected = mail.fields.get("var1")
            if expected and "var1" in space.variables and int(expected) != mail.records:
                raise BadRequest(f"var1 says {int(expected)} records, {request.file} holds {mail.records}")
            compressed = compress(handle, work / "segments", int(self.spec.segment_size))
        mail.size, mail.compressed_size, mail.segments = (
            compressed.size,
            compressed.compressed_size,
            compressed.segments,
        )
        bad_alias = self._scenario(names.BAD_RECIPIENT_ALIAS, mail.username)
        mail.fails = request.recipient not in self.spec.aliases or bad_alias
        mail.opens = not self._scenario(names.NEVER_OPENED, mail.username)

    def _refuse(self, mail: Mail, request_path: str, bad: BadRequest) -> list[Event]:
        """A bad request: the mail fails at once, with the reason in the chrono and the journal."""
        mail.reason = bad.reason
        detail = {"rule": bad.rule} if bad.rule else {}
        pickup = self._pickup(mail, request_path, decision="invalid", reason=bad.reason, **detail)
        return [pickup, self._status(mail, "failed", None, **detail)]

    def _pickup(self, mail: Mail, request_path: str, **detail: Any) -> Event:
        if mail.segments:
            detail.update(records=mail.records, size=mail.size, compressed_size=mail.compressed_size,
                          segments=mail.segments)  # fmt: skip
        return self.context.journal.record(
            "partner.pickup", account=mail.username, path=request_path, mail=mail.mail_id, **detail
        )

    def _scenario(self, name: str, username: str) -> bool:
        """Whether scenario ``name`` is on for the account (its ``account`` parameter; empty: every one)."""
        parameters = self.context.scenarios.active(name)
        return parameters is not None and aimed_at(parameters, username)

    # -- the statuses -----------------------------------------------------------------------------------

    def _status(self, mail: Mail, status: str, at: datetime | None = None, **detail: Any) -> Event:
        """Move the mail to ``status`` (reached ``at``, its planned moment: a clock advanced by hours moves a
        mail through several statuses, each at its own time): saved, written in its chrono file,
        journalled; the next one planned."""
        mail.status = status
        moment = min(at, self.context.clock.now()) if at is not None else self.context.clock.now()
        mail.times[status] = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.mails.save(mail)
        chrono = self._chrono_path(mail)
        home = self.context.tree.home(mail.username).root
        application = self.spec.spaces[mail.space].application
        write_atomically(home / chrono, chrono_text(mail, application), mode=0o644,
                         mtime=self.context.virtual_mtime())  # fmt: skip
        if mail.reason and status in ("failed", "not-acknowledged"):
            detail["reason"] = mail.reason
        event = self.context.journal.record(
            "partner.status", account=mail.username, path=chrono, status=status, label=LABELS[status],
            request=f"{self.spec.spool}/{mail.space}/{mail.request_name}", mail=mail.mail_id, **detail,
        )  # fmt: skip
        self._plan(mail)
        return event

    def _chrono_path(self, mail: Mail) -> str:
        return f"{self.spec.chrono}/{mail.number}.{mail.space}"

    def _plan(self, mail: Mail) -> None:
        """Schedule the mail's next step on the virtual clock (none once final and its OCRE returned)."""
        step = self._next_step(mail)
        if step is None:
            return
        after, since = step
        due = after.after(datetime.fromisoformat(mail.times[since].replace("Z", "+00:00")))
        username, mail_id, status = mail.username, mail.mail_id, mail.status
        report = self.context.job_failed("tedeco-status", account=username, mail=mail_id)
        job = Job(lambda: self._advance(username, mail_id, status, due), "tedeco-status", report)
        self.context.scheduler.schedule(due, job)

    def _next_step(self, mail: Mail) -> tuple[Duration, str] | None:
        """How long after which status the next step comes."""
        spec = self.spec
        if mail.status == "prepared":
            return spec.deposited_after, "prepared"
        if mail.status == "deposited":
            return spec.diffused_after, "deposited"
        if mail.status == "diffused" and self._opens_in_time(mail):
            return spec.opened_after, "diffused"
        if mail.status == "diffused":
            return spec.not_acknowledged_after, "deposited"
        if mail.status == "opened" and not mail.returned and spec.ocre.after is not None:
            return spec.ocre.after, "opened"
        return None

    def _advance(self, username: str, mail_id: int, planned_from: str, due: datetime) -> None:
        mail = self.mails.load(username, mail_id)
        if mail is None or mail.status != planned_from:
            return  # reset, or already moved on (a restart planned it again)
        if mail.status == "prepared":
            self._status(mail, "deposited", due)
        elif mail.status == "deposited" and mail.fails:
            mail.reason = _BAD_ADDRESS.format(alias=mail.fields.get("recipient", ""))
            self._status(mail, "failed", due)
        elif mail.status == "deposited":
            self._status(mail, "diffused", due)
        elif mail.status == "diffused" and self._opens_in_time(mail):
            self._status(mail, "opened", due)
        elif mail.status == "diffused":
            hours = self.spec.not_acknowledged_after.total_seconds() / 3600
            mail.reason = _NOT_ACKNOWLEDGED.format(hours=hours)
            self._status(mail, "not-acknowledged", due)
        elif mail.status == "opened" and not mail.returned:
            self._return(mail)

    def _opens_in_time(self, mail: Mail) -> bool:
        """Whether the opening notice comes before the 80 hours are over."""
        spec = self.spec
        opening = spec.diffused_after.total_seconds() + spec.opened_after.total_seconds()
        return mail.opens and opening <= spec.not_acknowledged_after.total_seconds()

    # -- the port the admin API asks (ports/stateful_files.py) -----------------------------------------

    state_kind = "tedeco"

    @property
    def state_folders(self) -> tuple[str, ...]:
        return (self.spec.chrono,)

    def file_states(self, username: str) -> list[FileState]:
        """Each mail taken from the account's spool, with its status: what its chrono file says."""
        return [
            FileState(
                kind="tedeco",
                name=mail.request_name,
                path=self._chrono_path(mail),
                state=mail.status,
                since=mail.times.get(mail.status, ""),
                details=mail.details(self.spec.spool),
            )
            for mail in self.mails.of(username)
        ]

    # -- OCRE returns ------------------------------------------------------------------------------------

    def _return(self, mail: Mail) -> None:
        event = self._drop_return(mail.username, mail.space, mail.reference, mail.request_name)
        if event is not None:
            mail.returned = str(event.path)
            self.mails.save(mail)

    def export(self, username: str | None = None) -> list[Event]:
        """OCRE returns now (``mockpartners export``): one in each space's return folder of every account."""
        usernames = [username] if username else self.context.accounts.usernames()
        events = []
        for name in usernames:
            for space in self.spec.spaces:
                event = self._drop_return(name, space, "", "")
                if event is not None:
                    events.append(event)
        return events

    def _drop_return(self, username: str, space: str, reference: str, request: str) -> Event | None:
        """``la<xxxx>.<space>`` into the space's return folder (guide I/2b), written whole."""
        folder = self.spec.spaces[space].returns
        home = self.context.tree.home(username).root
        if not (home / folder).is_dir():
            return None
        sequence = f"{self.mails.next_return(username, space):04d}"
        now = self.context.clock.now().astimezone(UTC)
        variables = {
            "account": username, "space": space, "sequence": sequence, "reference": reference,
            "request": request, "date": now.strftime("%Y%m%d"), "time": now.strftime("%H%M%S"),
        }  # fmt: skip
        content = string.Template(self.spec.ocre.content).safe_substitute(variables).encode()
        path = f"{folder}/la{sequence}.{space}"
        write_atomically(home / path, content, mode=0o644, mtime=self.context.virtual_mtime())
        return self.context.journal.record(
            "partner.export", account=username, path=path, size=len(content), ocre=True, request=request
        )
