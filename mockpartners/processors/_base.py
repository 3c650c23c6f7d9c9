"""What the partner asks of every processor, and a base where each of those calls does nothing.

The partner fans its events out to its processors: a processor hears of uploads and arrivals only at the
paths it ``watches``, and of the partner's life (start, restart, reset) always. A processor overrides the
calls it has something to do for; the rest stay no-ops, so a new kind (the XFB gateway's file states,
INSEE's TEDECO spool, mail notifications) is one class with the calls it needs.
"""

from __future__ import annotations

from typing import Protocol

from ..infra.journal import Event

__all__ = ["BaseProcessor", "Processor"]


class Processor(Protocol):
    """Partner-side behaviour the partner builds from a profile's ``processors`` and calls."""

    def watches(self, username: str, relative_path: str) -> bool:
        """Whether files arriving at this path of this account's home are this processor's to take."""

    def start(self) -> None:
        """The partner serves: schedule what runs on the clock (after :meth:`recover`)."""

    def recover(self) -> None:
        """After a restart: finish what a previous run left half done, take what it never took."""

    def forget(self) -> None:
        """After a reset: what the processor knew of files is gone, as the files are."""

    def upload_started(self, username: str, relative_path: str) -> None:
        """A client opened a watched file for writing."""

    def upload_ended(self, username: str, relative_path: str, event: Event, *, complete: bool) -> None:
        """A client closed a watched file it wrote (``event``: the journalled close); before
        :meth:`file_arrived` or :meth:`incomplete`."""

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        """A complete file is at a watched path: uploaded, renamed or moved there, or dropped by the
        partner (``event`` brought it)."""

    def incomplete(self, username: str, relative_path: str, event: Event, reason: str) -> None:
        """An upload to a watched path will never complete (refused, failed, or the server stopped)."""


class BaseProcessor:
    """Every call of :class:`Processor`, doing nothing: subclasses override what they need."""

    def watches(self, username: str, relative_path: str) -> bool:
        return False

    def start(self) -> None:
        pass

    def recover(self) -> None:
        pass

    def forget(self) -> None:
        pass

    def upload_started(self, username: str, relative_path: str) -> None:
        pass

    def upload_ended(self, username: str, relative_path: str, event: Event, *, complete: bool) -> None:
        pass

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        pass

    def incomplete(self, username: str, relative_path: str, event: Event, reason: str) -> None:
        pass
