"""Which certificates and versions a TLS endpoint serves while the certificate scenarios are on: the one
place that turns scenario names into a :class:`~mockpartners.infra.tls.TlsPolicy`, for every TLS protocol.
"""

from __future__ import annotations

from ..infra.credentials import TlsCredentials
from ..infra.tls import ClientTrust, TlsPolicy, TlsVersion
from ._state import Scenarios
from .names import (
    CLIENT_CERTIFICATE_EXPIRED,
    CLIENT_CERTIFICATE_UNTRUSTED,
    SERVER_CERTIFICATE_EXPIRED,
    SERVER_CERTIFICATE_RENEWED,
    SERVER_CERTIFICATE_UNTRUSTED,
    TLS_BELOW_MINIMUM,
)

__all__ = ["tls_policy"]

_SERVER_CERTIFICATES = (
    (SERVER_CERTIFICATE_UNTRUSTED, "untrusted"),
    (SERVER_CERTIFICATE_RENEWED, "renewed"),
    (SERVER_CERTIFICATE_EXPIRED, "expired"),
)


def tls_policy(
    credentials: TlsCredentials,
    minimum: TlsVersion,
    *,
    client_certificate: bool,
    scenarios: Scenarios | None = None,
) -> TlsPolicy:
    """The policy of an endpoint with this ``minimum`` version that demands (or not) a client
    certificate, as the scenarios that are on change it: another chain served (untrusted, renewed,
    expired), a higher minimum, client certificates checked against another CA or an expired one."""
    served = credentials.server
    clients = ClientTrust(credentials.client_ca, credentials.client_ca) if client_certificate else None
    if scenarios is None:
        return TlsPolicy(served, minimum, clients)
    for scenario, kind in _SERVER_CERTIFICATES:
        if scenarios.active(scenario) is not None:
            served = credentials.scenario_server(kind)
    raised = scenarios.active(TLS_BELOW_MINIMUM)
    if raised is not None:
        minimum = raised["minimum"]
    if clients is not None and scenarios.active(CLIENT_CERTIFICATE_UNTRUSTED) is not None:
        clients = ClientTrust(credentials.untrusted_ca, credentials.client_ca)
    if clients is not None and scenarios.active(CLIENT_CERTIFICATE_EXPIRED) is not None:
        clients = ClientTrust(credentials.expired_client_ca(), credentials.client_ca)
    return TlsPolicy(served, minimum, clients)
