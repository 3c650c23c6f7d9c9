"""Implicit and explicit TLS on Lucca's two FTP ports (Lucca's help page "SFTP/FTPS", "Type de connexion":
"SFTP, FTPS FTPES"; FTPS is implicit TLS on 990, FTPES explicit TLS on 21), and each kind of client at the
other kind of port: curl, lftp and ftplib get what a real server gives them, fast (``tls_handshake_timeout``
1 s here), and the journal says what happened in a trainer's words. Then ``tls-modes-swapped``: a server
misconfigured so, which rightly configured clients meet the same way."""

from __future__ import annotations

import ssl

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.scenarios import names
from tests.clients import curl_ftps, ftplib_tls, lftp_ftps
from tests.lucca.helpers import password_of

SHORT_HANDSHAKES = [f"lucca.endpoints.{name}.tls_handshake_timeout=1s" for name in ("ftps", "ftpes")]
CURL_TLS_FAILED = 35  # CURLE_SSL_CONNECT_ERROR
CURL_NO_GREETING = (8, 56)  # CURLE_WEIRD_SERVER_REPLY, CURLE_RECV_ERROR: closed before any reply
WAITED = "a plain FTP client on the implicit TLS port: it waited for a greeting"
HANDSHAKE_IN_CLEAR = "a TLS handshake on the explicit port: the client expected implicit TLS (FTPS)"


@pytest.fixture
def lucca(mockpartners: SuiteFactory) -> Partner:
    return mockpartners("lucca", settings=SHORT_HANDSHAKES)["lucca"]


def _reasons(lucca: Partner) -> list[str]:
    return [
        str(event.detail["reason"]) for event in lucca.journal.events(kind="session.tls", outcome="refused")
    ]


def _lists(lucca: Partner, endpoint: str, *, implicit: bool | None = None) -> bool:
    listed = curl_ftps(
        lucca.endpoint(endpoint),
        "paie-tous-types",
        "/",
        "-l",
        password=password_of(lucca, "paie-tous-types"),
        implicit=implicit,
    )
    return listed.returncode == 0 and listed.stdout.split() == ["paie"]


def test_ftpes_clients_on_the_implicit_port_wait_for_a_greeting_then_are_closed(lucca: Partner) -> None:
    password = password_of(lucca, "paie-tous-types")
    implicit = lucca.endpoint("ftps")
    curl = curl_ftps(implicit, "paie-tous-types", "/", "-l", password=password, implicit=False)
    assert curl.returncode in CURL_NO_GREETING, curl.stderr  # ftp:// --ssl-reqd on 990
    lftp = lftp_ftps(implicit, "paie-tous-types", "ls", password=password, implicit=False)
    assert lftp.returncode != 0  # open ftp:// with ftp:ssl-force on 990
    with pytest.raises((EOFError, ConnectionError)):
        ftplib_tls(implicit, implicit=False)  # FTP_TLS waits for the 220 before its AUTH TLS
    reasons = _reasons(lucca)
    assert len(reasons) == 3 and all(reason.startswith(WAITED) for reason in reasons), reasons
    assert "no handshake within 1s (tls_handshake_timeout)" in reasons[0]
    assert lucca.journal.events(kind="auth.attempt") == []  # nobody got as far as a login
    assert _lists(lucca, "ftps")


def test_ftps_clients_on_the_explicit_port_read_a_plain_greeting_as_broken_tls(lucca: Partner) -> None:
    password = password_of(lucca, "paie-tous-types")
    explicit = lucca.endpoint("ftpes")
    curl = curl_ftps(explicit, "paie-tous-types", "/", "-l", password=password, implicit=True)
    assert curl.returncode == CURL_TLS_FAILED and "wrong version number" in curl.stderr, curl.stderr
    lftp = lftp_ftps(explicit, "paie-tous-types", "ls", password=password, implicit=True)
    assert lftp.returncode != 0
    with pytest.raises(ssl.SSLError, match=r"(?i)wrong.version.number"):
        ftplib_tls(explicit, implicit=True)
    lucca.journal.wait_until(lambda: len(_reasons(lucca)) == 3, 5.0, "three handshakes journalled")
    assert all(reason.startswith(HANDSHAKE_IN_CLEAR) for reason in _reasons(lucca)), _reasons(lucca)
    assert _lists(lucca, "ftpes")


def test_tls_modes_swapped_fails_rightly_configured_clients(lucca: Partner) -> None:
    """A server misconfigured with implicit and explicit TLS swapped on their ports: the clients that follow
    the documentation fail as at the wrong port, the swapped ones get in; endpoints.json still documents
    the right modes (the server, not the documentation, is wrong)."""
    password = password_of(lucca, "paie-tous-types")
    with lucca.scenarios(names.TLS_MODES_SWAPPED):
        on_990 = curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=password)
        assert on_990.returncode == CURL_TLS_FAILED and "wrong version number" in on_990.stderr, on_990.stderr
        on_21 = curl_ftps(lucca.endpoint("ftpes"), "paie-tous-types", "/", "-l", password=password)
        assert on_21.returncode in CURL_NO_GREETING, on_21.stderr
        client = ftplib_tls(lucca.endpoint("ftps"), implicit=False)  # FTPES on 990 now works
        client.login("paie-tous-types", password)
        client.prot_p()
        assert client.nlst("/") == ["paie"]
        client.quit()
        assert _lists(lucca, "ftpes", implicit=True)
        assert lucca.endpoint("ftps").tls is not None and lucca.endpoint("ftps").tls.mode == "implicit"
    handshake, waited = sorted(_reasons(lucca))
    assert handshake.startswith(HANDSHAKE_IN_CLEAR) and waited.startswith(WAITED)
    assert handshake.endswith(
        "(scenario tls-modes-swapped: this port serves explicit TLS instead of its own)"
    )
    assert waited.endswith("(scenario tls-modes-swapped: this port serves implicit TLS instead of its own)")
    assert _lists(lucca, "ftps") and _lists(lucca, "ftpes")


def test_tls_modes_swapped_leaves_a_session_already_open_as_it_is(lucca: Partner) -> None:
    """Switching applies to new connections: a session logged in before goes on in its own mode."""
    password = password_of(lucca, "paie-tous-types")
    client = ftplib_tls(lucca.endpoint("ftps"))
    client.login("paie-tous-types", password)
    client.prot_p()
    with lucca.scenarios(names.TLS_MODES_SWAPPED):
        assert client.nlst("/") == ["paie"]
        assert sorted(client.nlst("/paie")) == ["export", "import"]
    client.quit()
