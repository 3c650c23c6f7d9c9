"""The control plane: an HTTP API over a running suite (journal, files, scenarios, clock, reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._settings import AdminLimits
from .client import AdminClient, AdminError, AdminUnreachable

if TYPE_CHECKING:
    from ._server import AdminServer

__all__ = ["AdminClient", "AdminError", "AdminLimits", "AdminServer", "AdminUnreachable"]


def __getattr__(name: str) -> Any:
    """The server (and aiohttp) load only when a suite serves the API, so the commands that merely talk
    to it start quicker."""
    if name == "AdminServer":
        from ._server import AdminServer

        return AdminServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
