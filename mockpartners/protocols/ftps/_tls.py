"""The TLS side of an FTPS endpoint: the server chain, the minimum version, and client certificate checks.

OpenSSL refuses a client certificate during the handshake (expired, untrusted, missing), as servers that
verify clients do; the verify callback notes why, so the journal can say which it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from OpenSSL import SSL, crypto

from ...infra.credentials import TlsCredentials
from ...model.loading import FtpsEndpoint
from ...scenarios import Scenarios

__all__ = [
    "TlsCheck",
    "certificate_refused",
    "make_context",
    "peer_common_name",
    "session_reused",
    "whole_writes",
]

_VERSIONS = {
    "1.0": SSL.TLS1_VERSION,
    "1.1": SSL.TLS1_1_VERSION,
    "1.2": SSL.TLS1_2_VERSION,
    "1.3": SSL.TLS1_3_VERSION,
}
# X509_V_ERR_* numbers (openssl/x509_vfy.h) and what the partner's journal says of them
_VERIFY_ERRORS = {
    9: "client certificate not yet valid",
    10: "client certificate expired",
    18: "client certificate is self-signed: not issued by the partner's CA",
    19: "client certificate chain is self-signed: not issued by the partner's CA",
    20: "client certificate not issued by the partner's CA (untrusted issuer)",
    21: "client certificate not issued by the partner's CA (untrusted issuer)",
    23: "client certificate revoked",
}


@dataclass
class TlsCheck:
    """What the verify callback saw on one connection."""

    error: str | None = None
    subject_cn: str | None = None
    alert: int | None = None
    """The TLS alert the server sent, if any (45 certificate expired, 70 protocol version, ...)."""


def make_context(
    spec: FtpsEndpoint, credentials: TlsCredentials, scenarios: Scenarios | None = None
) -> SSL.Context:
    """The endpoint's TLS context, as the certificate and TLS scenarios that are on say."""
    active = {name: scenarios.active(name) for name in scenarios.specs} if scenarios is not None else {}
    on = {name for name, parameters in active.items() if parameters is not None}
    server = credentials.server
    for scenario, kind in _SERVER_CERTIFICATES.items():
        if scenario in on:
            server = credentials.scenario_server(kind)
    minimum: str = spec.tls_minimum
    if "tls-below-minimum" in on:
        minimum = str((active["tls-below-minimum"] or {})["minimum"])
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(_VERSIONS.get(minimum, SSL.TLS1_3_VERSION))
    context.set_options(SSL.OP_NO_COMPRESSION)
    context.use_certificate_chain_file(str(server.certificate_path))
    context.use_privatekey_file(str(server.key_path))
    context.check_privatekey()
    # one session cache for the control and data channels: required for TLS session reuse
    context.set_session_id(b"mockpartners-ftps")
    context.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
    if spec.client_certificate == "required":
        trusted = credentials.untrusted_ca if "client-certificate-untrusted" in on else credentials.client_ca
        context.load_verify_locations(str(trusted.certificate_path))
        context.add_client_ca(credentials.client_ca.certificate)
        context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, _verify)
        store = context.get_cert_store()
        if "client-certificate-expired" in on and store is not None:
            store.set_time(_FAR_FUTURE)  # every client certificate has expired by then
    context.set_info_callback(_alerts)
    return context


_SERVER_CERTIFICATES = {
    "server-certificate-untrusted": "untrusted",
    "server-certificate-renewed": "renewed",
    "server-certificate-expired": "expired",
}
_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


_WRITE_ALERT = 0x4000 | 0x08  # SSL_CB_ALERT | SSL_CB_WRITE


def _alerts(connection: SSL.Connection, where: int, value: int) -> None:
    """Note the alert the server sends when it refuses a handshake (the description is the low byte)."""
    check = connection.get_app_data()
    if where & _WRITE_ALERT == _WRITE_ALERT and isinstance(check, TlsCheck) and check.alert is None:
        check.alert = value & 0xFF


def common_name(certificate: x509.Certificate | None) -> str | None:
    if certificate is None:
        return None
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def peer_common_name(connection: object) -> tuple[bool, str | None]:
    """Whether the client presented a certificate on this connection, and its CN."""
    if not isinstance(connection, SSL.Connection):
        return False, None
    certificate = connection.get_peer_certificate(as_cryptography=True)
    return certificate is not None, common_name(certificate)


def _verify(connection: SSL.Connection, certificate: crypto.X509, error: int, depth: int, ok: int) -> bool:
    check = connection.get_app_data()
    if isinstance(check, TlsCheck):
        if depth == 0:
            check.subject_cn = common_name(certificate.to_cryptography())
        if not ok and check.error is None:
            check.error = _VERIFY_ERRORS.get(error, f"client certificate refused (X509 verify error {error})")
    return bool(ok)


def session_reused(connection: Any) -> bool:
    """Whether a data connection resumed the control connection's TLS session (pyOpenSSL has no API)."""
    library = getattr(SSL, "_lib", None)
    if library is None or not hasattr(connection, "_ssl"):
        return False
    return bool(library.SSL_session_reused(connection._ssl))


def whole_writes(connection: Any) -> None:
    """Let one send put a whole chunk on the wire, several TLS records at once.

    pyOpenSSL turns on partial writes, so each send moved a single 16 KiB record and a transfer paid one
    trip round pyftpdlib's loop per record. A write that cannot finish is retried with the same chunk,
    which pyftpdlib does (pyOpenSSL also allows the chunk to move in memory). No public API: skipped if
    pyOpenSSL changes.
    """
    library = getattr(SSL, "_lib", None)
    if library is not None and hasattr(library, "SSL_clear_mode") and hasattr(connection, "_ssl"):
        library.SSL_clear_mode(connection._ssl, library.SSL_MODE_ENABLE_PARTIAL_WRITE)


_CERTIFICATE_ALERTS = frozenset({42, 45, 48, 116})  # bad, expired, unknown CA, certificate required


def certificate_refused(check: TlsCheck, error: BaseException | None) -> bool:
    """Whether a failed handshake refused the client's certificate (missing, expired, untrusted), as
    opposed to a TLS version or cipher the server does not speak, or a client that gave up on us."""
    if check.error is not None or check.alert in _CERTIFICATE_ALERTS:
        return True
    # TLS 1.2 refuses a missing certificate with a plain "handshake failure" alert: OpenSSL says why
    return check.alert == 40 and "peer did not return a certificate" in str(error)
