"""The standard ``ssl`` server context of an asyncio listener (HTTPS, SMTP's STARTTLS, POP3's STLS) from the
partner's one TLS policy, as the certificate scenarios change it."""

from __future__ import annotations

import ssl

from ...infra.tls import TlsVersion
from ...ports.endpoint import EndpointPort
from ...scenarios import tls_policy

__all__ = ["server_context"]


def server_context(
    partner: EndpointPort, minimum: TlsVersion, context: ssl.SSLContext | None = None
) -> ssl.SSLContext:
    """A new context; given one, it is configured again in place (a listening server keeps its context
    object, and new handshakes get the chain and minimum version the scenarios choose now)."""
    assert partner.tls is not None, "prepare the partner before serving it"
    policy = tls_policy(partner.tls, minimum, client_certificate=False, scenarios=partner.scenarios)
    if context is None:
        return policy.ssl_context()
    policy.configure_cert(context)
    policy.configure_trust(context)
    return context
