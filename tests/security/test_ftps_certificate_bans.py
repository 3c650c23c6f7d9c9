"""Guessing with client certificates: a certificate refused during the TLS handshake (expired, from
another CA, missing) is a failed login, and enough of them ban the address like wrong user names do.
Handshakes that fail for another reason (a TLS version, a client that does not trust the server) do not."""

from __future__ import annotations

import subprocess

from mockpartners import Event, Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, curl_ftps


def _curl(magda: Partner, certificate: Certificate | None, *options: str) -> subprocess.CompletedProcess[str]:
    return curl_ftps(magda.endpoint(), "afnemer-0001", "/", "-l", *options, certificate=certificate)


def _training(magda: Partner, name: str) -> Certificate:
    certificate = magda.info().training_certificates[name]
    return Certificate(certificate.certificate, certificate.key)


def test_refused_certificates_ban_the_address_and_spare_the_others(mockpartners: SuiteFactory) -> None:
    magda = mockpartners("magda", settings=["magda.failed_logins.ban_after=4"])["magda"]
    attempts = [
        (_training(magda, "expired"), ()),
        (_training(magda, "untrusted"), ()),
        (None, ()),  # no certificate, TLS 1.3: alert "certificate required"
        (None, ("--tls-max", "1.2")),  # no certificate, TLS 1.2: a plain "handshake failure" alert
    ]
    for certificate, options in attempts:
        assert _curl(magda, certificate, *options).returncode != 0

    def refusals() -> list[Event]:  # curl may exit before the server has written its side of the handshake
        return magda.journal.events(kind="session.tls", outcome="refused")

    magda.journal.wait_until(lambda: len(refusals()) >= len(attempts), timeout=10, what="four TLS refusals")
    assert [event.detail["reason"] for event in refusals()] == [
        "client certificate expired",
        "client certificate not issued by the partner's CA (untrusted issuer)",
        "no client certificate",
        "no client certificate (or no common parameters)",
    ]
    banned = magda.journal.wait_for(kind="session.banned")
    assert (banned.detail["address"], banned.detail["failed_logins"]) == ("127.0.0.1", 4)

    right = Certificate.of(magda.account())
    shut_out = _curl(magda, right, "-v")
    # curl reads a 421 greeting as a timeout: "We got a 421 - timeout", then "(28) Timeout was reached"
    assert shut_out.returncode == 28 and "< 421 Too many failed logins" in shut_out.stderr, shut_out.stderr
    assert magda.journal.events(kind="session.login") == []

    second = magda.account("afnemer-0002")
    other = curl_ftps(
        magda.endpoint(), second.username, "/", "-l", certificate=Certificate.of(second), source="127.0.0.2"
    )
    assert other.returncode == 0, other.stderr


def test_handshakes_failing_for_other_reasons_are_not_failed_logins(mockpartners: SuiteFactory) -> None:
    magda = mockpartners("magda", settings=["magda.failed_logins.ban_after=1"])["magda"]
    right = Certificate.of(magda.account())
    old_tls = _curl(magda, right, "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0")
    assert old_tls.returncode == 35, old_tls.stderr
    untrusting = curl_ftps(
        magda.endpoint(),
        "afnemer-0001",
        "/",
        "-l",
        certificate=right,
        ca_file=magda.info().training_certificates["untrusted"].certificate,  # not the server's CA
    )
    assert untrusting.returncode == 60, untrusting.stderr
    refusals = magda.journal.events(kind="session.tls", outcome="refused")
    assert [event.detail["reason"] for event in refusals][:1] == ["TLS version below the partner's minimum"]
    assert magda.journal.events(kind="session.banned") == []
    assert _curl(magda, right).returncode == 0
