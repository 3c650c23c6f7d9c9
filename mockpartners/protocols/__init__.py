"""Protocol adapters: each turns wire operations into session calls and journal events, nothing more.

:data:`ADAPTERS` names the adapter of each protocol. Adding a protocol is one folder here (its adapter, a
:class:`~mockpartners.protocols.base.Listener`), one entry below, and its endpoint model in the profile
schema (``mockpartners.model``), whose ``protocol`` value is the entry's key and whose ``credentials`` say
what the partner must make for it. What adapters share is in ``base``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from .base import EndpointServer

if TYPE_CHECKING:
    from ..model.loading import Endpoint
    from ..ports.endpoint import EndpointPort

__all__ = ["ADAPTERS", "Adapter", "EndpointServer", "adapter_for", "server_for"]


class Adapter(Protocol):
    """An adapter class: built with the partner's port, the endpoint's name and model, where to listen."""

    def __call__(
        self, partner: EndpointPort, name: str, spec: Endpoint, host: str, port: int
    ) -> EndpointServer: ...


ADAPTERS: dict[str, tuple[str, str]] = {
    "sftp": (".sftp", "SftpServer"),
    "ftps": (".ftps", "FtpsServer"),
    "http": (".http", "HttpServer"),
    "smtp": (".smtp", "SmtpServer"),
    "pop3": (".pop3", "Pop3Server"),
}
"""Protocol name -> (module, class) of its adapter, imported on first use: a suite that serves only SFTP
never imports pyftpdlib."""


def adapter_for(protocol: str) -> Adapter:
    """The adapter class registered for ``protocol`` (every endpoint model has one: tests check it)."""
    module, name = ADAPTERS[protocol]
    adapter: Adapter = getattr(importlib.import_module(module, __name__), name)
    return adapter


def server_for(partner: EndpointPort, name: str, spec: Endpoint, host: str, port: int) -> EndpointServer:
    """The adapter serving ``spec.protocol``, built for this endpoint."""
    return adapter_for(spec.protocol)(partner, name, spec, host, port)
