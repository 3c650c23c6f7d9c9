"""TLS as Lucca's FTPS client does it: the server's certificate checked against ``ca_file`` (or the system's
trust store) and the host name, TLS 1.2 at least (Python's defaults); and what a failed handshake means.

When the check fails, the certificate is fetched again without checking it, only to tell the customer which
certificate their server presents (its names, issuer and dates): the login is never sent on that connection.
"""

from __future__ import annotations

import contextlib
import ftplib
import ssl
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from ..model._customer_server import CustomerServer
from ._errors import (
    CERTIFICATE_EXPIRED,
    CERTIFICATE_NAME_MISMATCH,
    CERTIFICATE_UNTRUSTED,
    OutboundError,
)
from ._ftplib import ImplicitFTP, SessionReusingFTP
from ._messages import said
from ._probes import unverified_context

__all__ = ["certificate_failure", "client_context", "describe"]

_EXPIRED, _NOT_YET_VALID = 10, 9
_NAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


def client_context(server: CustomerServer) -> ssl.SSLContext:
    """A verifying client context trusting ``ca_file`` (or the system's store)."""
    try:
        return ssl.create_default_context(cafile=server.ca_file)
    except (OSError, ValueError) as error:
        raise OutboundError(
            CERTIFICATE_UNTRUSTED,
            f"ca_file {server.ca_file}: cannot read the CA certificates to trust ({said(error)}); give a PEM "
            "file holding the certificate of the CA that issued the server's certificate",
        ) from None


def describe(secured: ssl.SSLSocket) -> dict[str, Any]:
    """What a successful handshake agreed on and the certificate it verified, for the journal."""
    found: dict[str, Any] = {"version": secured.version(), "cipher": (secured.cipher() or ("",))[0]}
    der = secured.getpeercert(binary_form=True)
    if der:
        certificate = x509.load_der_x509_certificate(der)
        found.update(
            certificate=certificate.fingerprint(hashes.SHA256()).hex(":").upper(),
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            not_after=certificate.not_valid_after_utc.isoformat(),
        )
    return found


def certificate_failure(error: ssl.SSLCertVerificationError, server: CustomerServer) -> OutboundError:
    """A refused certificate as its reason, naming what the server presented."""
    presented = _presented_certificate(server)
    shown = _shown(presented)
    code = error.verify_code
    where = f"the certificate of the {server.type.upper()} server {server.address}{shown}"
    if code == _EXPIRED:
        when = _expired_when(presented)
        return OutboundError(
            CERTIFICATE_EXPIRED,
            f"{where} {when} ({error.verify_message}); renew it on the server (with its CA's, if that is "
            "the one that expired)",
        )
    if code == _NOT_YET_VALID:
        return OutboundError(
            CERTIFICATE_EXPIRED,
            f"{where} is not valid yet ({error.verify_message}); check the server's clock, or wait for the "
            "start of its validity",
        )
    if code in _NAME_MISMATCH:
        return OutboundError(
            CERTIFICATE_NAME_MISMATCH,
            f"{where} does not name {server.host!r}, the host Lucca connects to ({error.verify_message}); "
            "issue a certificate that names it, or give Lucca a host name the certificate names",
        )
    trusted = server.ca_file or "the system's trust store"
    return OutboundError(
        CERTIFICATE_UNTRUSTED,
        f"{where} is not trusted: no CA in {trusted} issued it ({error.verify_message}); if the server uses "
        "a private or self-signed CA, give Lucca that CA's certificate (ca_file); otherwise install the "
        "whole chain, intermediate CAs included, on the server",
    )


def _shown(certificate: x509.Certificate | None) -> str:
    if certificate is None:
        return ""
    names = _names(certificate)
    issued = f", issued by {_readable(certificate.issuer)}"
    return f" (certificate {_readable(certificate.subject)}{f', for {names}' if names else ''}{issued})"


def _readable(name: x509.Name) -> str:
    """A name as people say it: its CN alone if it has one (``sftp.example.com``), else all of it."""
    common = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def _names(certificate: x509.Certificate) -> str:
    with contextlib.suppress(x509.ExtensionNotFound):
        alternatives = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*alternatives.get_values_for_type(x509.DNSName)]
        names += [str(address) for address in alternatives.get_values_for_type(x509.IPAddress)]
        return ", ".join(names)
    return ""


def _expired_when(certificate: x509.Certificate | None) -> str:
    if certificate is not None and certificate.not_valid_after_utc < datetime.now(UTC):
        return f"expired on {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    return "is issued by a CA whose certificate has expired"


def _presented_certificate(server: CustomerServer) -> x509.Certificate | None:
    """The server's certificate, read on a second connection that checks nothing and logs nothing in."""
    kind = ImplicitFTP if server.type == "ftps" else SessionReusingFTP
    client = kind(context=unverified_context(), timeout=server.timeout.total_seconds())
    try:
        client.connect(server.host, server.port)
        if server.type == "ftpes":
            client.auth()
        assert isinstance(client.sock, ssl.SSLSocket)
        der = client.sock.getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der) if der else None
    except (OSError, EOFError, ftplib.Error, ValueError):
        return None
    finally:
        client.close()
