"""What every protocol adapter shares, below the adapters and their registry: what the suite needs of an
endpoint, and the listener every adapter builds on (port scenarios, restart, a taken port's message, a port
that never answers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ._asyncio import AsyncioListener
from ._listener import Listener, Work, bind_error, run_to_end, silent_listener
from ._starttls import StarttlsListener
from ._tls import server_context

if TYPE_CHECKING:
    from pathlib import Path

    from ...infra.endpoints import EndpointInfo

__all__ = [
    "AsyncioListener",
    "EndpointServer",
    "Listener",
    "StarttlsListener",
    "Work",
    "bind_error",
    "run_to_end",
    "server_context",
    "silent_listener",
]


class EndpointServer(Protocol):
    """What the suite needs of any protocol adapter."""

    name: str
    port: int

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def info(self, known_hosts: Path | None = None) -> EndpointInfo: ...
    def known_hosts_lines(self) -> list[str]: ...
    def reload_credentials(self) -> None: ...
