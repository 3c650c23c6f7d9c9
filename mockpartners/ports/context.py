"""What partner-side processors get from their partner: the port they work through, never the partner.

A processor (pickup, retention, and those later partners declare) reads the partner's profile, journals,
schedules jobs on the clock, works on the file tree and in the partner's own desk (its spool, outside every
home), asks the scenarios that change partner-side behaviour, sends mail, and reports its failures.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from ..infra.clock import Clock
from ..infra.journal import Event
from ..infra.scheduler import Failure, Lane
from ._facts import PartnerFacts
from .storage import PartnerTree

__all__ = ["ProcessorContext"]


class ProcessorContext(PartnerFacts, Protocol):
    @property
    def clock(self) -> Clock: ...
    @property
    def scheduler(self) -> Lane:
        """The partner's own jobs on the suite's worker (a reset cancels them)."""

    @property
    def tree(self) -> PartnerTree: ...

    @property
    def spool(self) -> Path:
        """The partner's own desk, outside every home: what it took from the inboxes."""

    def virtual_mtime(self) -> float | None:
        """The modification time of the files the partner writes now (None: the wall clock's)."""

    def is_being_written(self, username: str, relative_path: str) -> bool:
        """Whether a client is uploading this file right now."""

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        """A file the processor wrote is where other processors may take it (an export into a folder
        whose files have states): the partner tells those that watch it."""

    def job_failed(self, job: str, **context: Any) -> Callable[[Failure], None]:
        """How a job reports a failure (a ``partner.error`` event with ``context``)."""

    def send_mail(self, message: EmailMessage) -> Future[str]:
        """Send ``message`` through the suite's outbox over SMTP (and its relay, if any), from a worker
        thread: the caller never waits for SMTP. The future holds the Message-ID once the outbox has it."""
