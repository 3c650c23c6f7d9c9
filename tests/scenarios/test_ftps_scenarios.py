"""MAGDA scenarios: each error of the page, switched on, seen by curl, lftp or ftplib, then switched off."""

from __future__ import annotations

import ftplib
import io
import subprocess
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import Certificate, curl_ftps, ftplib_tls, served_certificate


def _curl(magda: Partner, *arguments: str, ca_file: str | None = None) -> subprocess.CompletedProcess[str]:
    account = magda.account()
    return curl_ftps(
        magda.endpoint(),
        account.username,
        "/",
        "-l",
        *arguments,
        certificate=Certificate.of(account),
        ca_file=ca_file,
    )


def _login(magda: Partner, *, protect: bool = True, reuse_session: bool = True) -> ftplib.FTP_TLS:
    client = ftplib_tls(magda.endpoint(), Certificate.of(magda.account()), reuse_session=reuse_session)
    client.login(magda.account().username, "")
    if protect:
        client.prot_p()
    return client


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("server-certificate-untrusted", "unable to get local issuer certificate"),
        ("server-certificate-expired", "certificate has expired"),
    ],
)
def test_server_certificate_problems(magda: Partner, scenario: str, message: str) -> None:
    with magda.scenarios(scenario):
        result = _curl(magda)
        assert result.returncode == 60, result.stderr
        assert message in result.stderr
    assert _curl(magda).returncode == 0


def test_server_certificate_renewed(magda: Partner, tmp_path: Path) -> None:
    endpoint = magda.endpoint()
    pinned = served_certificate(endpoint, tmp_path / "pinned.crt")
    with magda.scenarios("server-certificate-renewed"):
        assert _curl(magda).returncode == 0  # trusting the root
        assert _curl(magda, ca_file=str(pinned)).returncode == 60
    assert _curl(magda, ca_file=str(pinned)).returncode == 0


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("client-certificate-expired", "client certificate expired"),
        ("client-certificate-untrusted", "untrusted issuer"),
    ],
)
def test_client_certificate_refused_in_the_handshake(magda: Partner, scenario: str, reason: str) -> None:
    with magda.scenarios(scenario):
        assert _curl(magda).returncode != 0
    assert reason in magda.journal.wait_for(kind="session.tls", outcome="refused").detail["reason"]
    assert _curl(magda).returncode == 0


def test_client_certificate_wrong_cn(magda: Partner) -> None:
    with magda.scenarios("client-certificate-wrong-cn"):
        assert _curl(magda).returncode == 67
    assert "scenario" in magda.journal.wait_for(kind="auth.attempt", outcome="refused").detail["reason"]
    assert _curl(magda).returncode == 0


def test_address_not_allowlisted(magda: Partner) -> None:
    with magda.scenarios("address-not-allowlisted"):
        assert _curl(magda).returncode != 0
    assert magda.journal.wait_for(kind="session.refused").outcome == "refused"
    assert _curl(magda).returncode == 0


def test_tls_below_minimum(magda: Partner) -> None:
    with magda.scenarios("tls-below-minimum"):
        old = _curl(magda, "--tls-max", "1.2")
        assert old.returncode == 35, old.stderr
        assert _curl(magda).returncode == 0  # curl speaks TLS 1.3 too
    assert magda.journal.wait_for(kind="session.tls", outcome="refused").detail["reason"] == (
        "TLS version below the partner's minimum"
    )
    assert _curl(magda, "--tls-max", "1.2").returncode == 0


def test_prot_c_refused_is_the_profiles_default_and_can_be_lifted(magda: Partner) -> None:
    assert magda.scenarios.info("prot-c-refused").by_profile
    with _login(magda, protect=False) as client:
        with pytest.raises(ftplib.error_perm, match="522"):
            client.nlst()
        magda.scenarios.off("prot-c-refused")
        assert "to_vip" in client.nlst()  # a clear data channel
        magda.scenarios.on("prot-c-refused")
        with pytest.raises(ftplib.error_perm, match="522"):
            client.nlst()


def test_passive_port_announced_but_closed(magda: Partner) -> None:
    with magda.scenarios("passive-port-closed"):
        with _login(magda) as client, pytest.raises(ConnectionRefusedError):
            client.nlst()
        assert _curl(magda).returncode == 7  # CURLE_COULDNT_CONNECT
    assert _curl(magda).returncode == 0


def test_session_reuse_required_is_the_profiles_default_and_can_be_lifted(magda: Partner) -> None:
    assert magda.scenarios.info("session-reuse-required").by_profile
    with _login(magda, reuse_session=False) as client:  # plain ftplib does not resume the session
        with pytest.raises(ftplib.error_perm, match="522 SSL connection failed: session reuse required"):
            client.nlst()
        assert _curl(magda, "--no-sessionid").returncode != 0
        magda.scenarios.off("session-reuse-required")
        assert client.nlst()
        assert _curl(magda, "--no-sessionid").returncode == 0
        magda.scenarios.on("session-reuse-required")
        with pytest.raises(ftplib.error_perm, match="522"):
            client.nlst()
    assert _curl(magda).returncode == 0  # curl resumes it by default


def test_request_rejected_by_the_partner(magda: Partner) -> None:
    with magda.scenarios("reject-requests", reason="schema validation failed"), _login(magda) as client:
        client.storbinary("STOR to_vip/R.xml.tmp", io.BytesIO(b"<Vraag/>"))
        client.rename("to_vip/R.xml.tmp", "to_vip/R.xml")
        answer = magda.wait_for_answer("to_vip/R.xml")
    assert answer.kind == "partner.reject"
    content = magda.files().read(answer.detail["answer"]).decode()
    assert "<Status>ONGELDIG</Status>" in content and "schema validation failed" in content


@pytest.mark.parametrize("scenario", ["port-closed", "firewall-drop"])
def test_ports_closed_or_dropped(magda: Partner, scenario: str) -> None:
    endpoint = magda.endpoint()
    with magda.scenarios(scenario), pytest.raises((ConnectionRefusedError, TimeoutError)):
        ftplib.FTP().connect(endpoint.host, endpoint.port, timeout=1)
    assert _curl(magda).returncode == 0
