"""The MAGDA double driven by curl with the options of MAGDA's own page."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import Certificate, curl_ftps, require, served_certificate


@pytest.fixture
def request_xml(tmp_path: Path) -> Path:
    path = tmp_path / "VRAAG.0001.xml"
    path.write_text('<?xml version="1.0"?><Vraag id="1"/>\n')
    return path


def test_temporary_name_then_rename_is_processed(magda: Partner, request_xml: Path) -> None:
    """The page's first safe strategy: upload as .tmp, then RNFR/RNTO to the final name."""
    account = magda.account("afnemer-0001")
    temporary = request_xml.with_name(request_xml.name + ".tmp")
    temporary.write_bytes(request_xml.read_bytes())
    result = curl_ftps(
        magda.endpoint(),
        account.username,
        "/to_vip/",
        "-T",
        str(temporary),
        "-Q",
        f"-RNFR {temporary.name}",
        "-Q",
        f"-RNTO {request_xml.name}",
        certificate=Certificate.of(account),
    )
    assert result.returncode == 0, result.stderr

    answer = magda.wait_for_answer(f"to_vip/{request_xml.name}")
    assert answer.detail["answer"] == "from_vip/VRAAG.0001.antwoord.xml"
    files = magda.files(account.username)
    assert "<Status>VERWERKT</Status>" in files.read(answer.detail["answer"]).decode()
    assert files.list("to_vip") == []
    assert files.read(f"cache/to_vip/{request_xml.name}") == request_xml.read_bytes()
    ignored = magda.journal.wait_for(kind="partner.ignore", path=f"to_vip/{temporary.name}")
    assert ".tmp" in ignored.detail["reason"]

    listing = curl_ftps(
        magda.endpoint(), account.username, "/from_vip/", "-l", certificate=Certificate.of(account)
    )
    assert listing.stdout.split() == ["VRAAG.0001.antwoord.xml"]


def test_the_pages_listing_command_works(magda: Partner) -> None:
    """``curl -v -u CN:blabla --ftp-ssl --cert --key --cacert ftp://host/from_vip/* -l`` as printed."""
    account = magda.account()
    magda.files(account.username).drop("from_vip/PUBLICATIE.xml", "<p/>")
    result = curl_ftps(
        magda.endpoint(), account.username, "/from_vip/", "-l", certificate=Certificate.of(account)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PUBLICATIE.xml"]


@pytest.mark.parametrize(
    ("training", "curl_code", "reason"),
    [("expired", 56, "client certificate expired"), ("untrusted", 56, "untrusted issuer")],
)
def test_refused_client_certificates(magda: Partner, training: str, curl_code: int, reason: str) -> None:
    certificate = magda.info().training_certificates[training]
    result = curl_ftps(
        magda.endpoint(),
        "afnemer-0001",
        "/from_vip/",
        "-l",
        certificate=Certificate(certificate.certificate, certificate.key),
    )
    assert result.returncode != 0, result.stdout
    refused = magda.journal.wait_for(kind="session.tls", outcome="refused")
    assert reason in refused.detail["reason"]
    assert magda.journal.events(kind="session.login") == []


def test_missing_certificate_is_refused(magda: Partner) -> None:
    result = curl_ftps(magda.endpoint(), "afnemer-0001", "/from_vip/", "-l")
    assert result.returncode != 0
    assert (
        magda.journal.wait_for(kind="session.tls", outcome="refused").detail["reason"]
        == "no client certificate"
    )


def test_wrong_cn_is_refused_at_login(magda: Partner) -> None:
    certificate = magda.info().training_certificates["wrong-cn"]
    result = curl_ftps(
        magda.endpoint(),
        "afnemer-0001",
        "/from_vip/",
        "-l",
        certificate=Certificate(certificate.certificate, certificate.key),
    )
    assert result.returncode == 67, result.stderr  # CURLE_LOGIN_DENIED: 530
    refused = magda.journal.wait_for(kind="auth.attempt", outcome="refused")
    assert refused.detail["reason"] == "certificate CN 'not-afnemer-0001' is not the user name 'afnemer-0001'"


def test_legacy_pkcs12_reproduces_openssl3_unsupported(magda: Partner) -> None:
    """The page's known problem: an old RC2-encrypted .p12 fails under OpenSSL 3."""
    account = magda.account()
    assert account.certificate is not None and account.certificate.legacy_pkcs12
    require("openssl")
    result = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            account.certificate.legacy_pkcs12,
            "-nokeys",
            "-noout",
            "-passin",
            f"pass:{account.certificate.pkcs12_password}",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "digital envelope routines" in result.stderr and "unsupported" in result.stderr
    modern = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            str(account.certificate.pkcs12),
            "-nokeys",
            "-noout",
            "-passin",
            f"pass:{account.certificate.pkcs12_password}",
        ],
        capture_output=True,
        text=True,
    )
    assert modern.returncode == 0, modern.stderr

    curled = curl_ftps(
        magda.endpoint(),
        account.username,
        "/from_vip/",
        "-l",
        "--cert-type",
        "P12",
        "--cert",
        f"{account.certificate.legacy_pkcs12}:{account.certificate.pkcs12_password}",
    )
    assert curled.returncode != 0
    assert "unsupported" in curled.stderr or "could not" in curled.stderr.lower()


def test_pkcs12_with_password_logs_in(magda: Partner) -> None:
    account = magda.account()
    assert account.certificate is not None
    result = curl_ftps(
        magda.endpoint(),
        account.username,
        "/from_vip/",
        "-l",
        "--cert-type",
        "P12",
        "--cert",
        f"{account.certificate.pkcs12}:{account.certificate.pkcs12_password}",
    )
    assert result.returncode == 0, result.stderr


def test_address_not_on_any_allowlist_is_refused_before_login(magda: Partner) -> None:
    account = magda.account("afnemer-0001")
    result = curl_ftps(
        magda.endpoint(),
        account.username,
        "/from_vip/",
        "-l",
        certificate=Certificate.of(account),
        source="127.0.0.9",
    )
    assert result.returncode != 0
    refused = magda.journal.wait_for(kind="session.refused")
    assert refused.client is not None and refused.client.startswith("127.0.0.9:")
    assert magda.journal.events(kind="auth.attempt") == []


def test_each_account_has_its_own_allowlist(magda: Partner) -> None:
    first, second = magda.account("afnemer-0001"), magda.account("afnemer-0002")
    refused = curl_ftps(
        magda.endpoint(), first.username, "/", "-l", certificate=Certificate.of(first), source="127.0.0.2"
    )
    assert refused.returncode == 67, refused.stderr
    assert (
        "not on the account's allowlist"
        in magda.journal.wait_for(kind="auth.attempt", outcome="refused").detail["reason"]
    )
    allowed = curl_ftps(
        magda.endpoint(), second.username, "/", "-l", certificate=Certificate.of(second), source="127.0.0.2"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert sorted(allowed.stdout.split()) == ["cache", "from_vip", "publiek", "to_vip"]


def test_a_client_pinning_the_old_server_certificate_fails_after_renewal(
    magda: Partner, tmp_path: Path
) -> None:
    """The page's other way to trust the server: its certificate saved from openssl s_client, as --cacert."""
    endpoint, account = magda.endpoint(), magda.account()
    assert endpoint.tls is not None
    pinned = served_certificate(endpoint, tmp_path / "vipftps_vlaanderen_be.crt")

    before = curl_ftps(
        endpoint, account.username, "/", "-l", certificate=Certificate.of(account), ca_file=str(pinned)
    )
    assert before.returncode == 0, before.stderr
    magda.renew_server_certificate()
    after = curl_ftps(
        endpoint, account.username, "/", "-l", certificate=Certificate.of(account), ca_file=str(pinned)
    )
    assert after.returncode == 60, after.stderr  # CURLE_PEER_FAILED_VERIFICATION
    trusting_root = curl_ftps(endpoint, account.username, "/", "-l", certificate=Certificate.of(account))
    assert trusting_root.returncode == 0, trusting_root.stderr


def test_session_reuse_required_with_and_without_curls_session_cache(magda: Partner) -> None:
    """curl (7.88) resumes the control connection's TLS session by default, as the page's --sessionid asks."""
    account = magda.account()
    reused = curl_ftps(magda.endpoint(), account.username, "/", "-l", certificate=Certificate.of(account))
    assert reused.returncode == 0, reused.stderr
    fresh = curl_ftps(
        magda.endpoint(), account.username, "/", "-l", "--no-sessionid", certificate=Certificate.of(account)
    )
    assert fresh.returncode != 0
    assert "522" in fresh.stderr
