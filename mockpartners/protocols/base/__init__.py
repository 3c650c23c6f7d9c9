"""What every protocol adapter shares, below the adapters and their registry: what the suite needs of an
endpoint, and the listening helpers (a taken port's message, a port that never answers)."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Protocol

from ...model.errors import PortInUseError

if TYPE_CHECKING:
    from pathlib import Path

    from ...infra.endpoints import EndpointInfo

__all__ = ["EndpointServer", "bind_error", "silent_listener"]


class EndpointServer(Protocol):
    """What the suite needs of any protocol adapter."""

    name: str
    port: int

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def info(self, known_hosts: Path | None = None) -> EndpointInfo: ...
    def known_hosts_lines(self) -> list[str]: ...
    def reload_credentials(self) -> None: ...


def bind_error(partner: str, endpoint: str, host: str, port: int, error: OSError) -> PortInUseError:
    """Why a partner's endpoint cannot listen, with the two ways to give it another port."""
    choices = f"--ports ephemeral, or --set {partner}.endpoints.{endpoint}.port=N"
    return PortInUseError.binding(f"{partner} {endpoint}", host, port, error, choices)


def silent_listener(host: str, port: int) -> socket.socket:
    """A port that listens and never accepts, like one behind a firewall that drops (scenario
    ``firewall-drop``): clients connect and wait for a greeting in vain, and the kernel's backlog bounds how
    many wait, so nothing is held open on our side."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)
