"""The generic faults on HTTP (scenarios ``latency``, ``bandwidth``, ``disconnect-after-bytes``,
``restart-mid-transfer``): a reply that comes late, a body that moves slowly, a connection cut mid-body."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ...ports.session import Session

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["CutMidBody", "chunk_moved"]


class CutMidBody(ConnectionResetError):
    """The scenario cut the connection in the middle of a body."""


async def chunk_moved(server: HttpServer, session: Session, size: int) -> None:
    """After ``size`` bytes of a body moved: wait as the bandwidth scenario says, and cut (or restart the
    endpoint) where the cut scenarios say."""
    delay = session.faults.transfer_delay(size)
    if delay:
        await asyncio.sleep(delay)
    cut = session.faults.moved_bytes(size)
    if cut == "restart":
        server.restart_soon()
    if cut is not None:
        raise CutMidBody(f"scenario: {cut} in the middle of a body")
