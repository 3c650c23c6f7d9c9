"""One TLS policy, two kinds of context: the standard ``ssl.SSLContext`` it makes (for the HTTPS and SMTP
partners to come) behaves to a real client as the pyOpenSSL context MAGDA's FTPS endpoints serve: the same
chain, the same minimum version, the same client-certificate refusals, under every certificate scenario.

The other side is a tiny blocking TLS server in the test (a thread per connection): it greets first, as an
implicit FTPS port does, so that a client that only reads after its handshake gets the server's alert
whatever the TLS version (under TLS 1.3 a client certificate is refused after the client's side of the
handshake ended: a client that wrote first could see its connection reset instead of the alert).
"""

from __future__ import annotations

import ftplib
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.scenarios import names, tls_policy
from tests.clients import Certificate, curl, ftplib_tls, served_certificate, tls_client_context

SCENARIOS = [
    None,
    names.SERVER_CERTIFICATE_EXPIRED,
    names.SERVER_CERTIFICATE_UNTRUSTED,
    names.SERVER_CERTIFICATE_RENEWED,
    names.CLIENT_CERTIFICATE_EXPIRED,
    names.CLIENT_CERTIFICATE_UNTRUSTED,
    names.TLS_BELOW_MINIMUM,
]
CLIENTS = ["certificate", "no certificate", "expired certificate", "untrusted certificate", "TLS 1.2 only"]


@pytest.fixture
def magda(mockpartners: SuiteFactory) -> Partner:
    """MAGDA with an implicit TLS port beside its explicit one, without its login ban: this test fails many
    handshakes from one address on purpose."""
    implicit = {"protocol": "ftps", "tls": "implicit"}
    overrides = {"magda": {"endpoints": {"implicit": implicit}, "failed_logins": {"ban_after": 1000}}}
    return mockpartners("magda", overrides=overrides)["magda"]


GREETING = b"220 ready\r\n"


class _Answer(socketserver.BaseRequestHandler):
    server: TlsServer

    def handle(self) -> None:
        try:
            with self.server.context.wrap_socket(self.request, server_side=True) as secured:
                if self.server.greets:
                    secured.sendall(GREETING)
                else:  # HTTPS, for curl
                    secured.recv(4096)
                    secured.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except (ssl.SSLError, OSError):
            pass  # refused in the handshake: OpenSSL has sent its alert


class TlsServer(socketserver.ThreadingTCPServer):
    """A TLS server on a policy's ``ssl.SSLContext``: it greets first, or (``greets=False``) answers one
    HTTPS request."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, *, greets: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.context = context
        self.greets = greets
        self.port = int(self.server_address[1])


@contextmanager
def tls_double(context: ssl.SSLContext, *, greets: bool = True) -> Iterator[TlsServer]:
    server = TlsServer(context, greets=greets)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _client(partner: Partner, client: str) -> tuple[Certificate | None, ssl.TLSVersion | None]:
    training = partner.info().training_certificates
    chosen = {
        "certificate": partner.account().certificate,
        "no certificate": None,
        "expired certificate": training["expired"],
        "untrusted certificate": training["untrusted"],
        "TLS 1.2 only": partner.account().certificate,
    }[client]
    certificate = Certificate(chosen.certificate, chosen.key) if chosen is not None else None
    return certificate, ssl.TLSVersion.TLSv1_2 if client == "TLS 1.2 only" else None


def _verdict(error: BaseException | None) -> str:
    """What the client saw: "ok", or the TLS error as OpenSSL names it (with the verify message)."""
    if error is None:
        return "ok"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"{_SERVER_REFUSED}{error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return str(error.reason)
    return type(error).__name__


def _over_ssl(server: TlsServer, partner: Partner, client: str) -> str:
    """Python's ssl reading the greeting of the server built on the policy's ``ssl.SSLContext``."""
    endpoint = partner.endpoint()
    assert endpoint.tls is not None
    context = tls_client_context(endpoint.tls.ca_file, *_client(partner, client))
    try:
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as secured,
        ):
            assert secured.recv(100) == GREETING
    except (ssl.SSLError, OSError) as error:
        return _verdict(error)
    return "ok"


def _over_ftps(partner: Partner, client: str) -> str:
    """ftplib reading the greeting of MAGDA's implicit port, whose pyOpenSSL context the policy made."""
    certificate, version = _client(partner, client)
    try:
        ftplib_tls(partner.endpoint("implicit"), certificate, tls_version=version).close()
    except (ssl.SSLError, OSError, EOFError, ftplib.Error) as error:
        return _verdict(error)
    return "ok"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario or "no scenario")
def test_an_ssl_context_refuses_what_the_ftps_context_refuses(magda: Partner, scenario: str | None) -> None:
    spec = magda.profile.endpoints["ftps"]
    assert magda.tls is not None
    with magda.scenarios(scenario) if scenario else _nothing():
        policy = tls_policy(magda.tls, spec.tls_minimum, client_certificate=True, scenarios=magda.scenarios)
        with tls_double(policy.ssl_context()) as server:
            seen = {
                client: (_over_ssl(server, magda, client), _over_ftps(magda, client)) for client in CLIENTS
            }
    assert all(ssl_side == ftps_side for ssl_side, ftps_side in seen.values()), seen
    verdicts = {client: ssl_side for client, (ssl_side, _) in seen.items()}
    assert verdicts == EXPECTED[scenario]


_SERVER_REFUSED = "server certificate refused: "
_REFUSED = {
    "no certificate": "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "expired certificate": "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "untrusted certificate": "TLSV1_ALERT_UNKNOWN_CA",
}
_PLAIN = {"certificate": "ok", **_REFUSED, "TLS 1.2 only": "ok"}
EXPECTED: dict[str | None, dict[str, str]] = {
    None: _PLAIN,
    names.SERVER_CERTIFICATE_EXPIRED: dict.fromkeys(CLIENTS, f"{_SERVER_REFUSED}certificate has expired"),
    names.SERVER_CERTIFICATE_UNTRUSTED: dict.fromkeys(
        CLIENTS, f"{_SERVER_REFUSED}unable to get local issuer certificate"
    ),
    names.SERVER_CERTIFICATE_RENEWED: _PLAIN,  # a client trusting the root goes on
    names.CLIENT_CERTIFICATE_EXPIRED: {
        **_PLAIN,
        "certificate": "SSLV3_ALERT_CERTIFICATE_EXPIRED",
        "TLS 1.2 only": "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    },
    names.CLIENT_CERTIFICATE_UNTRUSTED: {  # the partner trusts the other CA instead of its own
        **_PLAIN,
        "certificate": "TLSV1_ALERT_UNKNOWN_CA",
        "expired certificate": "TLSV1_ALERT_UNKNOWN_CA",
        "untrusted certificate": "ok",
        "TLS 1.2 only": "TLSV1_ALERT_UNKNOWN_CA",
    },
    names.TLS_BELOW_MINIMUM: {**_PLAIN, "TLS 1.2 only": "TLSV1_ALERT_PROTOCOL_VERSION"},
}


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def test_curl_sees_the_same_chain_over_both(magda: Partner, tmp_path: Path) -> None:
    """curl trusting the partner's root reaches the ``ssl`` server, which shows the leaf FTPS shows."""
    endpoint = magda.endpoint()
    assert endpoint.tls is not None and magda.tls is not None
    policy = tls_policy(magda.tls, "1.2", client_certificate=False)
    with tls_double(policy.ssl_context(), greets=False) as server:
        reached = curl("--cacert", endpoint.tls.ca_file, f"https://127.0.0.1:{server.port}/")
        assert reached.stdout == "ok", reached.stderr
        over_ssl = ssl.get_server_certificate(("127.0.0.1", server.port))
    over_ftps = served_certificate(endpoint, tmp_path / "ftps.pem").read_text()
    assert ssl.PEM_cert_to_DER_cert(over_ssl) == ssl.PEM_cert_to_DER_cert(over_ftps)
