"""A listener on the suite's loop whose clients ask for TLS on a plain connection (SMTP's STARTTLS, POP3's
STLS): one ``ssl`` context from the partner's TLS policy, configured again in place when the certificate
scenarios change, and the connections it holds, cut when it stops or restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar

from ...infra.endpoints import EndpointInfo, TlsInfo
from ...model._mail import MailEndpoint
from ...ports.endpoint import EndpointPort
from ...scenarios import names
from ._asyncio import AsyncioListener
from ._tls import server_context

__all__ = ["StarttlsListener"]


class _Closable(Protocol):
    def close(self) -> None: ...


Spec = TypeVar("Spec", bound=MailEndpoint)


class StarttlsListener(AsyncioListener[Spec]):
    """Subclasses say how a connection is served (:meth:`_start_server`); ``connections`` are what
    :meth:`_drop_connections` closes, ``closing_reason`` why (journalled by each session's end)."""

    protocol: ClassVar[str]
    follows: ClassVar[frozenset[str]] = names.LISTENING | names.TLS_CONTEXT

    def __init__(self, partner: EndpointPort, name: str, spec: Spec, host: str, port: int) -> None:
        if partner.tls is None:
            raise RuntimeError("prepare the partner before serving it")
        super().__init__(partner, name, spec, host, port)
        self.connections: set[_Closable] = set()
        self.closing_reason = ""
        self.ssl = server_context(partner, spec.tls_minimum)
        self._server: asyncio.Server | None = None

    async def _start_server(self, port: int) -> asyncio.Server:
        raise NotImplementedError

    async def _open(self, port: int) -> int:
        self.closing_reason = ""
        self._server = await self._start_server(port)
        return int(self._server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _drop_connections(self, reason: str) -> None:
        self.closing_reason = reason
        for connection in list(self.connections):
            connection.close()

    async def _scenarios_applied(self) -> None:
        """The certificate scenarios: new handshakes get the chain and minimum version they choose."""
        self.reload_credentials()

    def reload_credentials(self) -> None:
        server_context(self.partner, self.spec.tls_minimum, self.ssl)

    def info(self, known_hosts: Path | None = None) -> EndpointInfo:
        assert self.partner.tls is not None
        details = TlsInfo.served(self.partner.tls, self.spec.tls_minimum, "", "none", "starttls")
        return EndpointInfo(self.name, self.protocol, self.host, self.port, self.spec.port, tls=details)
