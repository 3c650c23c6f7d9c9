"""Retention: the partner deletes files older than their folder's retention period, on the virtual clock.

It runs at start and then every ``check`` of virtual time (a ``kind: retention`` spec; the profile's
``retention_check`` when the spec gives none, or when folders with a retention imply the processor), so
advancing a frozen clock by two months runs it at once. Every deletion is journalled
(``partner.retention``); a sweep that fails is a ``partner.error`` and the next one comes all the same.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ..infra.scheduler import Job
from ..model.duration import Duration
from ..model.loading import Retention
from ..ports.context import ProcessorContext
from ._base import BaseProcessor

__all__ = ["RetentionProcessor"]


class RetentionProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: Retention) -> None:
        self.context = context
        self.every = spec.check or context.profile.retention_check

    def start(self) -> None:
        job = Job(self.sweep, "retention", self.context.job_failed("retention"), every=self.every)
        self.context.scheduler.schedule(self.context.clock.now(), job)

    def sweep(self) -> int:
        """Delete what has outlived its retention in every home; the number of files deleted."""
        deleted = 0
        for username in self.context.accounts.usernames():
            home = self.context.tree.home(username)
            for folder, _, names in os.walk(home.root):
                relative_folder = os.path.relpath(folder, home.root).replace(os.sep, "/").removeprefix(".")
                retention = self.context.profile.folder_rule(relative_folder).retention
                if retention is None:
                    continue
                for name in names:
                    relative = f"{relative_folder}/{name}".lstrip("/")
                    deleted += self._expire(username, relative, os.path.join(folder, name), retention)
        return deleted

    def _expire(self, username: str, relative: str, real: str, retention: Duration) -> int:
        if self.context.is_being_written(username, relative):
            return 0
        try:
            modified = datetime.fromtimestamp(os.stat(real).st_mtime, UTC)
        except OSError:
            return 0
        now = self.context.clock.now()
        if retention.after(modified) > now:
            return 0
        try:
            os.unlink(real)
        except OSError:
            return 0
        self.context.journal.record(
            "partner.retention",
            account=username,
            path=relative,
            modified=modified.isoformat(),
            retention=str(retention),
            age_days=round((now - modified).total_seconds() / 86400, 1),
        )
        return 1
