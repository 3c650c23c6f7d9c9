"""PECOTO's scenarios: STARTTLS missing, SMTP AUTH refused, recipient unknown, attachment too large; each
shows what a mail client shows when the real server does it."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.infra.journal import Query
from tests.insee._pecoto import BUREAU, census_mail, curl_smtp, smtp_client, tls_context


def test_starttls_missing_stops_a_client_that_insists_on_tls(insee_pecoto: Partner, tmp_path: Path) -> None:
    insee_pecoto.scenarios.on("starttls-missing")
    with smtp_client(insee_pecoto, login=False) as client:
        client.ehlo()
        assert not client.has_extn("starttls") and not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.starttls(context=tls_context(insee_pecoto))
    mail = tmp_path / "mail.eml"
    mail.write_bytes(census_mail(insee_pecoto).as_bytes())
    sent = curl_smtp(insee_pecoto, mail)
    assert sent.returncode == 64, sent.stderr  # CURLE_USE_SSL_FAILED: "Requested SSL level failed"
    insee_pecoto.scenarios.off("starttls-missing")
    with smtp_client(insee_pecoto) as client:
        client.send_message(census_mail(insee_pecoto))
    insee_pecoto.journal.wait_for(Query(kind="partner.intake"))


def test_smtp_auth_refused_refuses_the_right_password(insee_pecoto: Partner) -> None:
    insee_pecoto.scenarios.on("smtp-auth-refused")
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        smtp_client(insee_pecoto)
    assert refused.value.smtp_code == 535
    attempt = insee_pecoto.journal.wait_for(Query(kind="auth.attempt", outcome="refused"))
    assert "smtp-auth-refused" in str(attempt.detail["reason"])


def test_recipient_unknown_refuses_even_the_bureau(insee_pecoto: Partner) -> None:
    insee_pecoto.scenarios.on("recipient-unknown")
    with smtp_client(insee_pecoto) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.send_message(census_mail(insee_pecoto))
    assert refused.value.recipients[BUREAU][0] == 550


def test_attachment_too_large_lowers_the_limit(insee_pecoto: Partner) -> None:
    insee_pecoto.scenarios.on("attachment-too-large", max_size=10)
    with smtp_client(insee_pecoto) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(census_mail(insee_pecoto, files={"rp96010.txt": b"more than ten bytes"}))
    assert refused.value.smtp_code == 552 and b"over 10 bytes" in refused.value.smtp_error
