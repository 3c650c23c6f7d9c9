"""Protocol adapters: each turns wire operations into session calls and journal events, nothing more."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Protocol

from ..model.errors import PortInUseError

if TYPE_CHECKING:
    from pathlib import Path

    from ..infra.endpoints import EndpointInfo
    from ..kernel.partner import Partner
    from ..model.loading import Endpoint

__all__ = ["EndpointServer", "bind_error", "server_for", "silent_listener"]


class EndpointServer(Protocol):
    """What the suite needs of any protocol adapter."""

    name: str
    port: int

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def info(self, known_hosts: Path | None = None) -> EndpointInfo: ...
    def known_hosts_lines(self) -> list[str]: ...
    def reload_credentials(self) -> None: ...


def server_for(partner: Partner, name: str, spec: Endpoint, host: str, port: int) -> EndpointServer:
    """The adapter serving ``spec.protocol``."""
    if spec.protocol == "sftp":
        from .sftp import SftpServer

        return SftpServer(partner, name, spec, host, port)
    from .ftps import FtpsServer

    return FtpsServer(partner, name, spec, host, port)


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
