"""The TLS side of an FTPS endpoint: the server chain, the minimum version, and client certificate checks.

OpenSSL refuses a client certificate during the handshake (expired, untrusted, missing), as servers that
verify clients do; the verify callback notes why, so the journal can say which it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from OpenSSL import SSL, crypto

from ...infra.credentials import TlsCredentials
from ...model.loading import FtpsEndpoint
from ...scenarios import Scenarios, tls_policy

__all__ = [
    "TlsCheck",
    "certificate_refused",
    "make_context",
    "peer_common_name",
    "session_reused",
    "whole_writes",
]

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
    """The endpoint's TLS context from the partner's one TLS policy (the scenarios that are on choose the
    certificates), with the observers that let the journal say why a handshake failed."""
    required = spec.client_certificate == "required"
    policy = tls_policy(credentials, spec.tls_minimum, client_certificate=required, scenarios=scenarios)
    context = policy.pyopenssl_context()
    if policy.clients is not None:
        context.set_verify(context.get_verify_mode(), _verify)
    context.set_info_callback(_alerts)
    return context


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
