"""Exports: the partner drops files for the client to fetch, on the virtual clock or on demand.

Lucca's help page: files are dropped into a remote folder "depuis Lucca" (its example: the absences export
for payroll). Where and what is a ``kind: export`` spec: folders of every home, or each account's remote
folders of some use; the file's name and content are a template. Each drop is written whole under its final
name (a client never sees half a file) and journalled as ``partner.export``.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from ..infra.atomic import write_atomically
from ..infra.journal import Event
from ..infra.scheduler import Job
from ..model.loading import Export
from ..ports.context import ProcessorContext
from ._answers import render_variables
from ._base import BaseProcessor

__all__ = ["ExportProcessor"]


class ExportProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: Export) -> None:
        self.context = context
        self.spec = spec

    def start(self) -> None:
        if self.spec.every is None:
            return
        due = self.spec.every.after(self.context.clock.now())
        job = Job(self.export, "export", self.context.job_failed("export"), every=self.spec.every)
        self.context.scheduler.schedule(due, job)

    def export(self, username: str | None = None) -> list[Event]:
        """Drop one file in each export folder of every account (or of ``username`` only)."""
        usernames = [username] if username else self.context.accounts.usernames()
        return [event for name in usernames for event in self._export_to(name)]

    def _export_to(self, username: str) -> list[Event]:
        events = []
        for folder in self.folders(username):
            events.append(self._drop(username, folder))
        return events

    def folders(self, username: str) -> list[str]:
        """The home-relative folders this export drops into for one account."""
        entry = self.context.accounts.get(username)
        if entry is not None and entry.account.server is not None:
            return []  # hosted by the customer: its exports go there (kind customer-server)
        remote = entry.account.remote_folders if entry is not None else ()
        mine = [folder.relative for folder in remote if folder.use in self.spec.remote_folders]
        return [*self.spec.folders, *mine]

    def file_for(self, username: str, folder: str) -> tuple[str, bytes]:
        """The name and content of the file this export makes now for one account's folder."""
        now = self.context.clock.now().astimezone(UTC)
        variables: dict[str, Any] = {
            "account": username,
            "folder": folder,
            "partner": self.context.name,
            "processed_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "date": now.strftime("%Y%m%d"),
            "time": now.strftime("%H%M%S"),
        }
        return render_variables(self.spec.file, variables)

    def _drop(self, username: str, folder: str) -> Event:
        name, content = self.file_for(username, folder)
        home = self.context.tree.home(username).root
        if not (home / folder).is_dir():  # scenario remote-folder-missing: Lucca's export fails, nothing lost
            reason = f"the remote folder /{folder} is not on the server: nothing exported"
            return self.context.journal.record(
                "partner.export", outcome="failed", account=username, path=folder, reason=reason
            )
        write_atomically(home / folder / name, content, mode=0o644, mtime=self.context.virtual_mtime())
        event = self.context.journal.record(
            "partner.export", account=username, path=f"{folder}/{name}", size=len(content)
        )
        self.context.file_arrived(username, f"{folder}/{name}", event)  # file states, a pickup's inbox
        return event
