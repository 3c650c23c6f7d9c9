"""The admin API's gate: how many connections a client address may hold (beyond it, a 503 and the
connection closed) and how long a request may take to arrive (a 408). The listening mechanics are shared
with the HTTP partners (:mod:`mockpartners.infra.http_listener`)."""

from __future__ import annotations

from ...infra.http_listener import HttpConnection
from ...infra.limits import ConnectionLimits
from ._settings import AdminLimits

__all__ = ["AdminGate"]


class AdminGate:
    """Connections counted per client address and in all (:class:`ConnectionLimits`)."""

    def __init__(self, limits: AdminLimits) -> None:
        self.header_timeout = limits.header_timeout
        self.connections = ConnectionLimits(limits.connections_per_address, limits.connections)

    def admit(self, connection: HttpConnection) -> str | None:
        return self.connections.admit(connection.address)

    def release(self, connection: HttpConnection) -> None:
        self.connections.release(connection.address)
