"""The control plane: an HTTP API over a running suite (journal, files, scenarios, clock, reports)."""

from ._server import AdminServer

__all__ = ["AdminServer"]
