"""Protocol adapters: each turns wire operations into session calls and journal events, nothing more.

The registry below names the adapter of each protocol; an adapter is one folder (``sftp``, ``ftps``) and
what they share is in ``base``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import EndpointServer

if TYPE_CHECKING:
    from ..model.loading import Endpoint
    from ..ports.endpoint import EndpointPort

__all__ = ["EndpointServer", "server_for"]


def server_for(partner: EndpointPort, name: str, spec: Endpoint, host: str, port: int) -> EndpointServer:
    """The adapter serving ``spec.protocol``."""
    if spec.protocol == "sftp":
        from .sftp import SftpServer

        return SftpServer(partner, name, spec, host, port)
    from .ftps import FtpsServer

    return FtpsServer(partner, name, spec, host, port)
