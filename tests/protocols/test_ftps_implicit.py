"""FTPS with implicit TLS beside explicit TLS on one partner and one file tree, as Lucca serves FTPS (990)
and FTPES (21): curl ``ftps://`` and ``ftp://`` with ``--ssl-reqd``, lftp ``open ftps://`` and
``ftp:ssl-force``, and ftplib (with a socket wrapped at connect); then each client at the wrong kind of port.
"""

from __future__ import annotations

import ftplib
import io
import re
import shlex
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.cheatsheet import render
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import ProfileError
from mockpartners.model.loading import load_profile
from mockpartners.scenarios import names
from tests.clients import Certificate, curl_ftps, ftplib_tls, lftp_ftps, require

IMPLICIT = {
    "protocol": "ftps",
    "tls": "implicit",
    "tls_handshake_timeout": "1s",  # the port-confusion tests wait this long, not 30 s
    "session_reuse_required": True,
    "site_chmod": False,
    "banner": "MAGDA VIP FTPS server ready.",
}


@pytest.fixture
def both(mockpartners: SuiteFactory) -> Partner:
    """MAGDA with an implicit TLS endpoint ("implicit") beside its explicit one ("ftps")."""
    return mockpartners("magda", overrides={"magda": {"endpoints": {"implicit": IMPLICIT}}})["magda"]


def _curl(
    partner: Partner, endpoint: str, *arguments: str, implicit: bool | None = None
) -> subprocess.CompletedProcess[str]:
    account = partner.account()
    return curl_ftps(
        partner.endpoint(endpoint),
        account.username,
        "/",
        "-l",
        *arguments,
        certificate=Certificate.of(account),
        implicit=implicit,
    )


def _ftplib(
    partner: Partner, endpoint: str = "implicit", certificate: Certificate | None = None, **options: object
) -> ftplib.FTP_TLS:
    account = partner.account()
    client = ftplib_tls(partner.endpoint(endpoint), certificate or Certificate.of(account), **options)  # type: ignore[arg-type]
    client.login(account.username, "")
    client.prot_p()
    return client


def test_implicit_has_its_own_nominal_port() -> None:
    profile = load_profile("magda", ["magda.endpoints.ftps.tls=implicit"])
    assert profile.endpoints["ftps"].port == 21  # MAGDA's profile says 21: a given port is kept
    implicit = load_profile("magda", overrides={"endpoints": {"implicit": IMPLICIT}}).endpoints["implicit"]
    assert (implicit.port, implicit.unprivileged_port) == (990, 9990)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("tls=implicitt", "endpoints.ftps.tls: Input should be 'explicit' or 'implicit' (got 'implicitt')"),
        ("tls_handshake_timeout=0", "endpoints.ftps.tls_handshake_timeout: expected a duration above zero"),
    ],
)
def test_a_bad_tls_setting_is_one_clear_error(setting: str, message: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(message)):
        load_profile("magda", [f"magda.endpoints.ftps.{setting}"])


def test_endpoints_json_says_which_tls(both: Partner) -> None:
    tls = {name: info.tls.mode for name, info in both.info().endpoints.items() if info.tls is not None}
    assert tls == {"ftps": "explicit", "implicit": "implicit"}


def test_the_cheat_sheet_pastes_ftps_urls_for_implicit_tls(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("magda", overrides={"magda": {"endpoints": {"implicit": IMPLICIT}}})
    url = f"ftps://127.0.0.1:{suite['magda'].endpoint('implicit').port}"
    lines = [line.strip() for line in render(suite.info).splitlines()]
    header = next(line for line in lines if line.startswith(f"{url}/"))
    assert "(nominal port 990)  implicit TLS >= 1.2" in header
    curl, lftp = [line for line in lines if url in line and line != header]
    assert "--ssl-reqd" not in curl and "ftp:ssl-force" not in lftp  # TLS from byte one: nothing to force
    suite["magda"].files().drop("from_vip/PUBLICATIE.xml", "<p/>")
    for line, expected in ((curl, "PUBLICATIE.xml"), (lftp, "from_vip")):  # from_vip/ listed; the home
        program, *arguments = shlex.split(line)
        listed = subprocess.run([require(program), *arguments], capture_output=True, text=True, timeout=30)
        assert listed.returncode == 0 and expected in listed.stdout, (line, listed.stderr)


def test_curl_both_ways_on_one_tree(both: Partner, tmp_path: Path) -> None:
    """Uploaded over implicit TLS (``ftps://``), listed over explicit (``ftp://`` + ``--ssl-reqd``)."""
    local = tmp_path / "VRAAG.0007.xml"
    local.write_text('<Vraag id="7"/>\n')
    account = both.account()
    sent = curl_ftps(
        both.endpoint("implicit"),
        account.username,
        "/to_vip/",
        "-T",
        str(local),
        certificate=Certificate.of(account),
    )
    assert sent.returncode == 0, sent.stderr
    assert both.wait_for_answer("to_vip/VRAAG.0007.xml").kind == "partner.answer"
    listing = curl_ftps(
        both.endpoint("ftps"), account.username, "/from_vip/", "-l", certificate=Certificate.of(account)
    )
    assert listing.stdout.split() == ["VRAAG.0007.antwoord.xml"], listing.stderr
    handshakes = both.journal.events(kind="session.tls", outcome="ok")
    assert {event.detail["client_certificate"] for event in handshakes} == {account.username}


def test_the_handshake_comes_before_the_greeting(both: Partner) -> None:
    """A raw TLS connection reads the banner inside TLS; a plain one never reads a byte in clear."""
    endpoint = both.endpoint("implicit")
    assert endpoint.tls is not None
    context = ssl.create_default_context(cafile=endpoint.tls.ca_file)
    certificate = Certificate.of(both.account())
    context.load_cert_chain(certificate.certificate, certificate.key)
    with (
        socket.create_connection((endpoint.host, endpoint.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=endpoint.host) as secured,
    ):
        assert secured.recv(100).startswith(b"220 MAGDA VIP FTPS server ready.")
    with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as plain:
        assert plain.recv(100) == b""  # closed after tls_handshake_timeout, nothing said in clear


def test_a_refusal_at_connect_comes_in_clear_before_any_handshake(mockpartners: SuiteFactory) -> None:
    """A banned address costs no handshake: its 421 comes at once, in clear, as vsftpd's implicit_ssl
    sends it; a TLS client reads it as a broken record."""
    overrides = {"endpoints": {"implicit": IMPLICIT}, "failed_logins": {"ban_after": 1}}
    partner = mockpartners("magda", overrides={"magda": overrides})["magda"]
    endpoint = partner.endpoint("implicit")
    wrong = partner.info().training_certificates["wrong-cn"]
    with pytest.raises(ftplib.error_perm, match="530"):
        _ftplib(partner, certificate=Certificate(wrong.certificate, wrong.key))
    with pytest.raises(ssl.SSLError):
        ftplib_tls(endpoint, Certificate.of(partner.account()))
    with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as plain:
        assert plain.recv(100).startswith(b"421 Too many failed logins from your address")
    refused = partner.journal.wait_for(kind="session.refused")
    assert refused.detail["reason"].startswith("address 127.0.0.1 is banned")


def test_ftplib_implicit_with_session_reuse(both: Partner) -> None:
    with _ftplib(both) as client:
        client.storbinary("STOR to_vip/R.xml.tmp", io.BytesIO(b"<Vraag/>"))
        client.rename("to_vip/R.xml.tmp", "to_vip/R.xml")
        assert "welcome" not in client.getwelcome().lower()
    assert both.wait_for_answer("to_vip/R.xml").kind == "partner.answer"
    # MAGDA's reuse rule holds on both ports; AUTH TLS on a connection in TLS already is refused
    with _ftplib(both, reuse_session=False) as plain, pytest.raises(ftplib.error_perm, match="522"):
        plain.nlst()
    with _ftplib(both) as client, pytest.raises(ftplib.error_perm, match="503 Already using TLS"):
        client.sendcmd("AUTH TLS")


def test_lftp_open_ftps_and_ssl_force(both: Partner) -> None:
    account = both.account()
    both.files(account.username).drop("from_vip/PUBLICATIE.xml", "<p/>")
    certificate = Certificate.of(account)
    for endpoint in ("implicit", "ftps"):  # open ftps:// on one, open ftp:// with ftp:ssl-force on the other
        result = lftp_ftps(
            both.endpoint(endpoint), account.username, "cls -1 from_vip", certificate=certificate
        )
        assert result.stdout.split() == ["from_vip/PUBLICATIE.xml"], (endpoint, result.stderr)


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        (names.SERVER_CERTIFICATE_EXPIRED, 60),
        (names.SERVER_CERTIFICATE_UNTRUSTED, 60),
        (names.TLS_BELOW_MINIMUM, 35),
        (names.CLIENT_CERTIFICATE_WRONG_CN, 67),
        (names.PASSIVE_PORT_CLOSED, 7),
    ],
)
def test_scenarios_act_on_both_ports(both: Partner, scenario: str, code: int) -> None:
    with both.scenarios(scenario):
        for endpoint in ("implicit", "ftps"):
            extra = ("--tls-max", "1.2") if scenario == names.TLS_BELOW_MINIMUM else ()
            assert _curl(both, endpoint, *extra).returncode == code, endpoint
    assert _curl(both, "implicit").returncode == 0


def test_client_certificate_refused_in_the_implicit_handshake(both: Partner) -> None:
    with both.scenarios(names.CLIENT_CERTIFICATE_EXPIRED):
        assert _curl(both, "implicit").returncode != 0
    refused = both.journal.wait_for(kind="session.tls", outcome="refused")
    assert refused.detail["reason"] == "client certificate expired"


@pytest.mark.parametrize("scenario", [names.PORT_CLOSED, names.FIREWALL_DROP])
def test_ports_closed_or_dropped_on_the_implicit_port(both: Partner, scenario: str) -> None:
    endpoint = both.endpoint("implicit")
    with both.scenarios(scenario), pytest.raises((ConnectionRefusedError, TimeoutError)):
        ftplib.FTP().connect(endpoint.host, endpoint.port, timeout=1)
    assert _curl(both, "implicit").returncode == 0


def test_restart_mid_transfer_on_the_implicit_port(both: Partner) -> None:
    both.scenarios.on(names.RESTART_MID_TRANSFER, bytes=65_536)
    with _ftplib(both) as client, pytest.raises((ConnectionError, EOFError, ssl.SSLError, ftplib.Error)):
        client.storbinary("STOR to_vip/BIG.xml.tmp", io.BytesIO(b"x" * 1_000_000))
    assert both.journal.wait_for(kind="endpoint.restart", partner="magda").detail["endpoint"] == "implicit"
    assert _curl(both, "implicit").returncode == 0


# -- port confusion: each client at the other kind of port ---------------------------------------------------


def test_explicit_clients_on_the_implicit_port_are_closed_not_left_hanging(both: Partner) -> None:
    """curl ``--ssl-reqd``, lftp ``ftp:ssl-force`` and ftplib wait for a plain greeting; the server waits for
    a handshake, then closes after ``tls_handshake_timeout`` (1 s here) and journals why."""
    account = both.account()
    certificate = Certificate.of(account)
    curl = _curl(both, "implicit", implicit=False)
    assert curl.returncode in (8, 56), curl.stderr  # weird server reply / recv failure: the server closed
    lftp = lftp_ftps(
        both.endpoint("implicit"), account.username, "ls", certificate=certificate, implicit=False
    )
    assert lftp.returncode != 0
    with pytest.raises((EOFError, ConnectionError)):
        ftplib_tls(both.endpoint("implicit"), certificate, implicit=False)
    refusals = both.journal.events(kind="session.tls", outcome="refused")
    assert len(refusals) == 3
    assert all(
        event.detail["reason"].startswith(
            "a plain FTP client on the implicit TLS port: it waited for a greeting"
        )
        and "no handshake within 1s (tls_handshake_timeout)" in event.detail["reason"]
        for event in refusals
    )
    assert both.journal.events(kind="partner.error") == []
    assert _curl(both, "implicit").returncode == 0


def test_implicit_clients_on_the_explicit_port_fail_fast(both: Partner) -> None:
    """curl ``ftps://``, lftp ``open ftps://`` and an implicit ftplib read the plain ``220`` as a broken TLS
    record ("wrong version number"); the server journals the handshake it got instead of a command."""
    account = both.account()
    certificate = Certificate.of(account)
    curl = _curl(both, "ftps", implicit=True)
    assert curl.returncode == 35 and "wrong version number" in curl.stderr, curl.stderr
    lftp = lftp_ftps(both.endpoint("ftps"), account.username, "ls", certificate=certificate, implicit=True)
    assert lftp.returncode != 0
    with pytest.raises(ssl.SSLError, match=r"(?i)wrong.version.number"):
        ftplib_tls(both.endpoint("ftps"), certificate, implicit=True)
    refused = both.journal.wait_for(kind="session.tls", outcome="refused")
    assert refused.detail["reason"].startswith(
        "a TLS handshake on the explicit port: the client expected implicit TLS (FTPS)"
    )
    assert both.journal.events(kind="partner.error") == []
    assert _curl(both, "ftps").returncode == 0
