"""Lucca's "Serveur client": the partner as a client of the servers its customers host.

Lucca's help page "SFTP/FTPS": an account may live on "un serveur hébergé par vous", given by its host, its
connection type and a login with a password or an RSA key; Lucca then drops its exports in the account's
remote folders there and fetches the files it imports. For each account with a ``server`` this processor
connects out (``mockpartners.outbound``, every step journalled as ``outbound.*``), puts what the profile's
exports make into the account's export folders, and takes each file of its import folders as the pickup of
that use does at home: decided by its name, checked record by record, answered in the account's reports
folder on the same server, then deleted there. What the customer's server does wrong is journalled with a
reason (``partner.exchange`` failed): it is the customer's failure, not the partner's, so it never becomes a
``partner.error``.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..infra.atomic import write_atomically
from ..infra.journal import Event
from ..infra.scheduler import Job
from ..model.loading import Account, CustomerServerExchange, Export, Pickup, RemoteFolder
from ..outbound import OutboundError, Remote, RemoteEntry, open_remote
from ..ports.context import ProcessorContext
from ._answers import render
from ._base import BaseProcessor
from ._export import ExportProcessor
from ._pickup import PickupProcessor
from ._records import InvalidFile, check_records
from ._spool import Ticket

__all__ = ["CustomerServerProcessor"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class CustomerServerProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: CustomerServerExchange) -> None:
        self.context = context
        self.spec = spec
        specs = context.profile.processor_specs()
        self._exports = [ExportProcessor(context, item) for item in specs if isinstance(item, Export)]
        self._pickups = [PickupProcessor(context, item) for item in specs if isinstance(item, Pickup)]

    def start(self) -> None:
        if self.spec.every is None:
            return
        due = self.spec.every.after(self.context.clock.now())
        job = Job(
            self.exchange,
            "customer-server",
            self.context.job_failed("customer-server"),
            every=self.spec.every,
        )
        self.context.scheduler.schedule(due, job)

    def exchange(self, username: str | None = None) -> list[Event]:
        """Connect to the server of every customer-hosted account (or of ``username``): push, then pull."""
        events: list[Event] = []
        for entry in self.context.accounts.entries():
            if entry.account.server is not None and username in (None, entry.username):
                events += self._exchange_with(entry.account)
        return events

    def _exchange_with(self, account: Account) -> list[Event]:
        assert account.server is not None
        journal = self.context.journal.bind(account=account.username)
        events: list[Event] = []
        try:
            with open_remote(
                account.server, known_hosts=self._known_hosts(), record=journal.record
            ) as remote:
                events += self._push(remote, account)
                events += self._pull(remote, account)
        except OutboundError as error:
            failed = journal.record(
                "partner.exchange", outcome="failed", reason=error.reason, message=error.message,
                server=account.server.address,
            )  # fmt: skip
            return [*events, failed]
        return [*events, journal.record("partner.exchange", server=account.server.address)]

    def _known_hosts(self) -> Path:
        """Where the host keys of the customers' servers are pinned (trust on first use), in the desk."""
        self.context.spool.mkdir(parents=True, exist_ok=True)
        return self.context.spool / "customer-known-hosts"

    def _push(self, remote: Remote, account: Account) -> list[Event]:
        events = []
        for folder in _folders(account, self.spec.push):
            for export in self._exports:
                name, content = export.file_for(account.username, folder.relative)
                path = posixpath.join(folder.path, name)
                remote.put(content, path)
                events.append(
                    self.context.journal.record(
                        "partner.push", account=account.username, path=path, size=len(content)
                    )
                )
        return events

    def _pull(self, remote: Remote, account: Account) -> list[Event]:
        events = []
        for folder in _folders(account, self.spec.pull):
            pickup = self._pickup_of(folder.use)
            reports = self._reports_folder(account, pickup, folder)
            for entry in remote.list(folder.path):
                if not entry.folder:
                    events += self._take(remote, account, pickup, folder, reports, entry)
        return events

    def _pickup_of(self, use: str) -> PickupProcessor | None:
        return next((pickup for pickup in self._pickups if use in pickup.rules.remote_folders), None)

    def _reports_folder(
        self, account: Account, pickup: PickupProcessor | None, folder: RemoteFolder
    ) -> RemoteFolder | None:
        if pickup is None:
            return None
        use = pickup.rules.remote_folders[folder.use]
        return next(iter(_folders(account, (use,))), None)

    def _take(
        self,
        remote: Remote,
        account: Account,
        pickup: PickupProcessor | None,
        folder: RemoteFolder,
        reports: RemoteFolder | None,
        entry: RemoteEntry,
    ) -> list[Event]:
        path = posixpath.join(folder.path, entry.name)
        decision, reason = pickup.decide(entry.name) if pickup else ("accepted", "")
        if decision == "ignore":
            return [self._record("partner.ignore", account, path, reason=reason)]
        if entry.size is not None and entry.size > self.spec.max_import_size:
            too_large = f"{entry.size} bytes: above max_import_size ({self.spec.max_import_size} bytes)"
            return [self._record("partner.skip", account, path, reason=too_large)]
        data = remote.get(path)
        self._keep(account, entry.name, data)
        ticket = self._ticket(account, pickup, folder, reports, path, data, decision, reason)
        pulled = self._record(
            "partner.pull", account, path, decision=ticket.decision, size=len(data), sha256=ticket.sha256,
            lines=ticket.lines, accepted_lines=ticket.accepted_lines,
        )  # fmt: skip
        events = [pulled, *self._answer(remote, account, pickup, ticket, pulled)]
        if pickup is None or pickup.rules.after_pickup == "remove":
            remote.delete(path)
        return events

    def _ticket(
        self,
        account: Account,
        pickup: PickupProcessor | None,
        folder: RemoteFolder,
        reports: RemoteFolder | None,
        path: str,
        data: bytes,
        decision: str,
        reason: str,
    ) -> Ticket:
        lines = accepted = 0
        rejections = ""
        if pickup is not None and decision == "accepted" and pickup.rules.records is not None:
            try:
                checked = check_records(io.BytesIO(data), pickup.rules.records)
                lines, accepted, rejections = checked.lines, checked.accepted, "\n".join(checked.rejections)
            except InvalidFile as invalid:
                decision, reason = "invalid", str(invalid)
        now = self.context.clock.now().isoformat()
        answer_folder = reports.path if reports else folder.path
        return Ticket(
            0, account.username, path, folder.path, answer_folder, now, now, decision, reason, len(data),
            hashlib.sha256(data).hexdigest(), moved=True, lines=lines, accepted_lines=accepted,
            rejections=rejections,
        )  # fmt: skip

    def _answer(
        self, remote: Remote, account: Account, pickup: PickupProcessor | None, ticket: Ticket, pulled: Event
    ) -> list[Event]:
        template = pickup.template(ticket.decision) if pickup else None
        if template is None:
            return []
        ticket = replace(ticket, request_id=pulled.id)
        name, content = render(template, ticket, self.context.name)
        answer = posixpath.join(ticket.answer_folder, name)
        remote.put(content, answer)
        kind = "partner.answer" if ticket.decision == "accepted" else "partner.reject"
        return [
            self._record(kind, account, ticket.path, decision=ticket.decision, answer=answer, ref=pulled.id)
        ]

    def _keep(self, account: Account, name: str, data: bytes) -> None:
        """The partner's own copy of what it fetched, in its desk (what it imported, for the record)."""
        stamp = self.context.clock.now().strftime("%Y%m%dT%H%M%S%f")
        target = self.context.spool / "customers" / account.username / f"{stamp}-{_UNSAFE.sub('_', name)}"
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(target, data, mode=0o600)

    def _record(self, kind: str, account: Account, path: str, **detail: Any) -> Event:
        return self.context.journal.record(kind, account=account.username, path=path, **detail)


def _folders(account: Account, uses: tuple[str, ...]) -> list[RemoteFolder]:
    return [folder for folder in account.remote_folders if folder.use in uses]
