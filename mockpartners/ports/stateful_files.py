"""What the admin API asks of a partner whose files have states: which files of an account have one, and
which. Two partners keep such states, each its own way: the XFB gateway's files made available (B, T, E,
with a ``local_ident``: TASK Collectivités' guide, B/3) and the TEDECO agent's mails (prepared, deposited,
diffused, failed, opened, not acknowledged: the guide, I, "Maintenances TEDECO"). The API and the
dashboard show both through this one port, never through either processor's own shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["FileState", "StatefulFiles"]


@dataclass(frozen=True)
class FileState:
    """One file's (or one request's) state, as the partner keeps it for an account."""

    kind: str
    """Whose states these are: ``xfb`` (B, T, E) or ``tedeco`` (a mail's statuses)."""
    name: str
    """What a user calls it: the file's name (XFB), the request's (TEDECO: ``rq0001.001``)."""
    path: str
    """The home-relative file that shows the state in the account's tree (``retours/RCT290G``; TEDECO's
    chrono file, ``chrono/0001.001``)."""
    state: str
    since: str = ""
    """When it reached that state (ISO 8601, the virtual clock), where the partner keeps the moment."""
    details: dict[str, Any] = field(default_factory=dict)
    """The rest, per kind: ``local_ident`` (XFB); ``number``, ``space``, ``reference``, ``request``,
    ``mail``, ``label``, ``times`` (each status reached, and when), ``reason`` (TEDECO)."""


@runtime_checkable
class StatefulFiles(Protocol):
    """Satisfied by every processor that keeps states (the partner finds them so: a new kind with states
    only has to offer these three)."""

    @property
    def state_kind(self) -> str:
        """``xfb`` or ``tedeco``: the kind of every :class:`FileState` it gives."""

    @property
    def state_folders(self) -> tuple[str, ...]:
        """The home folders whose files show states (XFB's ``retours``, TEDECO's ``chrono``)."""

    def file_states(self, username: str) -> list[FileState]:
        """Every file (or request) of the account that has a state, in the order it got one."""
