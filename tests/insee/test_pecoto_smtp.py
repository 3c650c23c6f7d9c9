"""PECOTO's SMTP endpoint refuses with SMTP's own codes, as a Postfix submission service would: 530 before
STARTTLS and before AUTH, 535 for a wrong password, 553 for a sender that is not the account's, 550 for a
recipient the bureau does not have, 552 for a file too large, 554 for a file of a type it does not take.
Real clients: smtplib, and curl's smtp:// with --ssl-reqd."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.infra.journal import Query
from tests.insee._pecoto import census_mail, curl_smtp, smtp_client, tls_context


def _refused(partner: Partner, code: int) -> str:
    """The reason journalled with the refusal of this code (the partner's own, else aiosmtpd's reply)."""
    partner.journal.wait_for(Query(kind="smtp.refused"))
    found = [event for event in partner.journal.events(kind="smtp.refused") if event.detail["code"] == code]
    assert found, f"no refusal {code}"
    return str(found[0].detail.get("reason", found[0].detail["reply"]))


def test_every_command_before_starttls_is_refused_with_530(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto, login=False) as client:
        client.ehlo()
        assert client.has_extn("starttls") and not client.has_extn("auth")
        code, reply = client.mail("recensement@mairie-96010.example")
        assert code == 530 and b"STARTTLS" in reply
    _refused(insee_pecoto, 530)


def test_mail_before_auth_is_refused_with_530(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto, login=False) as client:
        client.starttls(context=tls_context(insee_pecoto))
        client.ehlo()
        assert "PLAIN" in client.esmtp_features["auth"] and "LOGIN" in client.esmtp_features["auth"]
        code, reply = client.mail("recensement@mairie-96010.example")
        assert (code, reply) == (530, b"5.7.0 Authentication required")
    insee_pecoto.journal.wait_for(Query(kind="smtp.starttls"))


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_wrong_password_is_refused_with_535(insee_pecoto: Partner, mechanism: str) -> None:
    with smtp_client(insee_pecoto, login=False) as client:
        client.starttls(context=tls_context(insee_pecoto))
        client.ehlo()
        client.user, client.password = "96010", "not-the-password"
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"), initial_response_ok=False)
        assert refused.value.smtp_code == 535
    attempt = insee_pecoto.journal.wait_for(Query(kind="auth.attempt", outcome="refused"))
    assert attempt.detail["reason"] == "wrong password" and attempt.detail["mechanism"] == mechanism


def test_both_mechanisms_log_in(insee_pecoto: Partner) -> None:
    for mechanism in ("PLAIN", "LOGIN"):
        with smtp_client(insee_pecoto, login=False, username="75056") as client:
            client.starttls(context=tls_context(insee_pecoto))
            client.ehlo()
            client.user, client.password = "75056", insee_pecoto.account("75056").password or ""
            code, _ = client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
            assert code == 235


def test_a_sender_other_than_the_account_address_is_refused_with_553(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto) as client:
        code, reply = client.mail("recensement@mairie-75056.example")
        assert code == 553 and b"not owned by user 96010" in reply
    assert "is not the account's address" in _refused(insee_pecoto, 553)


def test_a_from_header_other_than_the_account_address_is_refused_with_550(insee_pecoto: Partner) -> None:
    message = census_mail(insee_pecoto)
    message.replace_header("From", "maire@mairie-96010.example")
    with smtp_client(insee_pecoto) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(message, from_addr="recensement@mairie-96010.example")
    assert refused.value.smtp_code == 550 and b"From header" in refused.value.smtp_error


def test_an_unknown_recipient_is_refused_with_550(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.send_message(census_mail(insee_pecoto, to="personne@pecoto.insee.example"))
    code, reply = refused.value.recipients["personne@pecoto.insee.example"]
    assert code == 550 and b"5.1.1" in reply and b"User unknown" in reply


def test_recipients_are_the_bureau_addresses_whatever_their_case(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto) as client:
        client.send_message(census_mail(insee_pecoto, to="insee@PECOTO.insee.example"))
    assert insee_pecoto.journal.wait_for(Query(kind="partner.intake")).path == "fichiers/rp96010.txt"


def test_an_attachment_over_the_limit_is_refused_with_552(insee_pecoto: Partner) -> None:
    large = {"rp96010.txt": b"x" * (5 * 2**20 + 1)}
    with smtp_client(insee_pecoto) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(census_mail(insee_pecoto, files=large))
    assert refused.value.smtp_code == 552 and b"5.3.4" in refused.value.smtp_error
    assert not insee_pecoto.journal.events(kind="partner.intake")


def test_a_message_over_the_size_limit_is_refused_with_552(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("insee-pecoto", settings=["insee-pecoto.endpoints.smtp.max_message_size=64KiB"])
    partner = suite.partners["insee-pecoto"]
    with smtp_client(partner) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == str(64 * 1024)
        with pytest.raises(smtplib.SMTPException) as refused:
            client.send_message(census_mail(partner, files={"rp.txt": b"y" * 100_000}))
    assert "552" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("rp96010.exe", "application/octet-stream"), ("rp96010.txt", "application/x-msdownload")],
)
def test_an_attachment_of_a_type_not_taken_is_refused_with_554(
    insee_pecoto: Partner, name: str, content_type: str
) -> None:
    message = census_mail(insee_pecoto, files={})
    maintype, subtype = content_type.split("/")
    message.add_attachment(b"MZ", maintype=maintype, subtype=subtype, filename=name)
    with smtp_client(insee_pecoto) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(message)
    assert refused.value.smtp_code == 554 and b"5.6.1" in refused.value.smtp_error


def test_curl_sends_a_census_mail_over_starttls(insee_pecoto: Partner, tmp_path: Path) -> None:
    mail = tmp_path / "mail.eml"
    mail.write_bytes(census_mail(insee_pecoto, subject="Envoi par curl").as_bytes())
    sent = curl_smtp(insee_pecoto, mail)
    assert sent.returncode == 0, sent.stderr
    taken = insee_pecoto.journal.wait_for(Query(kind="partner.intake"))
    assert taken.detail["subject"] == "Envoi par curl"


def test_curl_with_a_wrong_password_fails_with_535(insee_pecoto: Partner, tmp_path: Path) -> None:
    mail = tmp_path / "mail.eml"
    mail.write_bytes(census_mail(insee_pecoto).as_bytes())
    sent = curl_smtp(insee_pecoto, mail, password="wrong")
    assert sent.returncode == 67, sent.stderr  # CURLE_LOGIN_DENIED
    _refused(insee_pecoto, 535)


def test_connections_beyond_the_per_address_limit_get_421(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("insee-pecoto", settings=["insee-pecoto.limits.connections_per_address=2"])
    partner = suite.partners["insee-pecoto"]
    endpoint = partner.endpoint("smtp")
    held = [smtplib.SMTP(endpoint.host, endpoint.port, timeout=10) for _ in range(2)]
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as extra:
            assert extra.recv(200).startswith(b"421 4.7.0 Too many connections")
        with smtplib.SMTP(endpoint.host, endpoint.port, timeout=10, source_address=("127.0.0.2", 0)) as other:
            assert other.noop()[0] == 250
    finally:
        for client in held:
            client.quit()
    partner.journal.wait_for(Query(kind="session.refused"))
