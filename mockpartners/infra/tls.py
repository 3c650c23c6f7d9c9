"""One TLS policy for every TLS listener: the chain a partner serves, the oldest TLS version it speaks, and
the client certificates it demands, filling a pyOpenSSL context (FTPS, under pyftpdlib) or a standard
``ssl.SSLContext`` (asyncio and aiohttp servers: HTTPS, SMTP) alike.

The shape is trustme's: ``configure_cert`` and ``configure_trust`` take either kind of context, so the two
kinds cannot drift apart. Which certificates the scenarios swap in is decided above, in
:func:`mockpartners.scenarios.tls_policy`; this module only applies a decision.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal

from OpenSSL import SSL

from .certificates import CertificateAuthority, IssuedCertificate

__all__ = ["ClientTrust", "TlsPolicy", "TlsVersion"]

TlsVersion = Literal["1.0", "1.1", "1.2", "1.3"]

_PYOPENSSL_VERSIONS = {
    "1.0": SSL.TLS1_VERSION,
    "1.1": SSL.TLS1_1_VERSION,
    "1.2": SSL.TLS1_2_VERSION,
    "1.3": SSL.TLS1_3_VERSION,
}
_SSL_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
_SESSION_ID = b"mockpartners"
"""pyOpenSSL's server-side session cache needs an id context: with it, a data connection can resume the
control connection's TLS session (FTP's session reuse)."""

Context = SSL.Context | ssl.SSLContext


@dataclass(frozen=True)
class ClientTrust:
    """How client certificates are checked: issued by ``trusted``, or the handshake fails."""

    trusted: CertificateAuthority
    """The CA a client certificate must chain to (the partner's own, or another one in a scenario)."""
    named: CertificateAuthority
    """The CA named in the server's certificate request: always the partner's own client CA."""


@dataclass(frozen=True)
class TlsPolicy:
    """What one TLS endpoint presents and demands right now."""

    server: IssuedCertificate
    """The chain served (leaf first, then the issuing CAs) and its key."""
    minimum: TlsVersion
    clients: ClientTrust | None = None
    """None: no client certificate is asked for."""

    # -- either kind of context ---------------------------------------------------------------------------

    def configure_cert(self, context: Context) -> None:
        """Serve the policy's chain, and refuse clients below the minimum version ("protocol version")."""
        chain, key = str(self.server.certificate_path), str(self.server.key_path)
        if isinstance(context, ssl.SSLContext):
            context.load_cert_chain(chain, key)
            context.minimum_version = _SSL_VERSIONS[self.minimum]
            return
        context.use_certificate_chain_file(chain)
        context.use_privatekey_file(key)
        context.check_privatekey()
        context.set_min_proto_version(_PYOPENSSL_VERSIONS[self.minimum])

    def configure_trust(self, context: Context) -> None:
        """Demand a client certificate issued by the trusted CA: without one, or with another, the
        handshake fails with the TLS alert that says why (certificate required, unknown CA, expired)."""
        if self.clients is None:
            return
        trusted = str(self.clients.trusted.certificate_path)
        if isinstance(context, ssl.SSLContext):
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=trusted)
            return
        context.load_verify_locations(trusted)
        context.add_client_ca(self.clients.named.certificate)
        context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)

    # -- ready contexts -----------------------------------------------------------------------------------

    def pyopenssl_context(self) -> SSL.Context:
        """A server context for pyOpenSSL, with a session cache that data connections can resume."""
        context = SSL.Context(SSL.TLS_SERVER_METHOD)
        context.set_options(SSL.OP_NO_COMPRESSION)
        self.configure_cert(context)
        self.configure_trust(context)
        context.set_session_id(_SESSION_ID)
        context.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
        return context

    def ssl_context(self) -> ssl.SSLContext:
        """A server context for Python's ``ssl`` (asyncio, aiohttp), with OpenSSL's default ciphers as the
        pyOpenSSL one has, rather than Python's narrower list: the same clients get in with either."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers("DEFAULT")
        self.configure_cert(context)
        self.configure_trust(context)
        return context
