"""The HTTP adapter: HTTP and HTTPS on the partner's TLS policy, a web application per endpoint (the XFB
gateway's menu behind the credentials of the query), every connection a session and every request
journalled, the port scenarios, late headers closed; driven by curl, urllib and a raw socket."""

from __future__ import annotations

import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import require

PROFILE = Path(__file__).parents[1] / "profiles" / "gateway.yaml"
CREDENTIALS = "user=45000001&password=s3cret-pass"


@pytest.fixture
def gateway(mockpartners: SuiteFactory) -> Partner:
    return mockpartners(profile_files=[PROFILE])["gateway"]


def _url(partner: Partner, endpoint: str, target: str) -> str:
    info = partner.endpoint(endpoint)
    scheme = "https" if info.tls else "http"
    return f"{scheme}://{info.host}:{info.port}{target}"


def test_the_menu_behind_the_credentials_over_http_with_curl(gateway: Partner) -> None:
    fetched = subprocess.run(
        [require("curl"), "-sS", "-i", _url(gateway, "web", f"/depot-xt?{CREDENTIALS}")],
        capture_output=True, encoding="iso-8859-1", timeout=30,
    )  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.startswith("HTTP/1.1 200")
    assert "Envoi d'un fichier" in fetched.stdout and "ception d'un fichier" in fetched.stdout
    login = gateway.journal.wait_for(kind="session.login", account="45000001")
    request = gateway.journal.wait_for(kind="http.request", session=login.session)
    assert (request.detail["method"], request.detail["target"], request.detail["status"]) == (
        "GET",
        "/depot-xt",
        200,
    )
    assert "s3cret" not in str(request.detail)  # the query's password is never journalled
    gateway.journal.wait_for(kind="session.disconnect", session=login.session)


def test_wrong_credentials_get_the_refusal_page_and_count_as_failed_logins(gateway: Partner) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(_url(gateway, "web", "/depot-xt?user=45000001&password=wrong"), timeout=10)
    with refused.value:
        assert refused.value.code == 401
        assert "Authentication failed" in refused.value.read().decode("iso-8859-1")
    attempt = gateway.journal.wait_for(kind="auth.attempt", outcome="refused", account="45000001")
    assert attempt.detail["reason"] == "wrong password"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(_url(gateway, "web", "/depot-xt"), timeout=10)
    with missing.value:
        assert missing.value.code == 401


def test_https_on_the_partners_chain_and_its_certificate_scenarios(gateway: Partner) -> None:
    info = gateway.endpoint("secure")
    assert info.tls is not None
    trusted = ssl.create_default_context(cafile=info.tls.ca_file)
    with urllib.request.urlopen(
        _url(gateway, "secure", f"/depot-xt?{CREDENTIALS}"), context=trusted, timeout=10
    ) as page:
        assert page.status == 200
    gateway.scenarios.on("server-certificate-untrusted")
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(
            _url(gateway, "secure", f"/depot-xt?{CREDENTIALS}"), context=trusted, timeout=10
        )


def test_the_port_scenarios_and_late_headers(gateway: Partner) -> None:
    info = gateway.endpoint("web")
    with socket.create_connection((info.host, info.port), timeout=10) as slow:
        slow.sendall(b"GET /depot-xt HTTP/1.1\r\n")  # never the end of the headers
        answer = slow.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    gateway.scenarios.on("port-closed")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((info.host, info.port), timeout=10).close()
    gateway.scenarios.off("port-closed")
    with urllib.request.urlopen(_url(gateway, "web", f"/depot-xt?{CREDENTIALS}"), timeout=10) as page:
        assert page.status == 200
