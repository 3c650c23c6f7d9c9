"""The suite's mail outbox (docs/mail.md), driven by real SMTP clients (Python's smtplib), its admin API
(urllib) and ``mockpartners mail`` against a real ``mockpartners up``."""

from __future__ import annotations

import json
import smtplib
import socket
import stat
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from mockpartners import Journal, Partner, Query, Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.infra.outbox import PARTNER_HEADER, MailLimits
from mockpartners.model.errors import JournalTimeout, UnknownMailError, UsageError
from tests.admin.conftest import Api
from tests.running import COMMAND, NO_TOKEN, up


def _mail(subject: str, to: str = "ordonnateur@mairie.example", size: int = 0) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "passerelle@dgfip.example"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Le fichier a été transféré correctement.\n" + ("x" * 63 + "\n") * (size // 64))
    return message


def _smtp(suite: Runtime, source: str = "127.0.0.1") -> smtplib.SMTP:
    outbox = suite.info.outbox
    assert outbox is not None
    return smtplib.SMTP(outbox.host, outbox.port, timeout=10, source_address=(source, 0))


def _api(suite: Runtime) -> Api:
    assert suite.admin is not None
    return Api(suite.admin.url)


def test_a_mail_sent_with_smtplib_is_stored_journalled_and_readable(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)
    message = _mail("Transfert correct")
    message.add_attachment(b"RCT290G", maintype="application", subtype="octet-stream", filename="RCT290G.xml")
    with _smtp(suite) as client:
        client.send_message(message)
    summary = suite.outbox.wait_for(to="ORDONNATEUR@", subject="transfert", timeout=10)
    assert (summary.id, summary.sender, summary.recipients) == ("000001", "passerelle@dgfip.example", (
        "ordonnateur@mairie.example",
    ))  # fmt: skip
    stored = suite.state.path / "outbox" / "000001.eml"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.read_bytes().startswith(b"Return-Path: <passerelle@dgfip.example>\r\nDelivered-To: ")
    event = suite.journal.wait_for(Query(kind="mail.received"), timeout=5)  # type: ignore[union-attr]
    assert event.client == "127.0.0.1" and event.partner is None
    assert event.detail["subject"] == "Transfert correct" and event.detail["size"] == summary.size

    api = _api(suite)
    assert [mail["id"] for mail in api.get("/v1/mail?to=ordonnateur").json()["mails"]] == ["000001"]
    assert api.get("/v1/mail?subject=nothing").json()["mails"] == []
    shown = api.get("/v1/mail/000001").json()
    assert shown["subject"] == "Transfert correct" and "transféré correctement" in shown["text"]
    assert shown["attachments"] == [
        {"filename": "RCT290G.xml", "content_type": "application/octet-stream", "size": 7}
    ]
    raw = api.get("/v1/mail/000001.eml")
    assert raw.headers.get_content_type() == "message/rfc822" and raw.body == stored.read_bytes()
    assert api.get("/v1/mail/wait?subject=correct&timeout=5").json()["id"] == "000001"
    assert api.get("/v1/mail/wait?after=000001&timeout=0.2").status == 408
    assert api.get("/v1/mail/000009").status == 404
    assert api.call("DELETE", "/v1/mail").json()["cleared"] == 1
    assert suite.outbox.messages() == [] and not stored.exists()


def test_a_mail_over_the_size_limit_gets_552_and_nothing_is_stored(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", mail_limits=MailLimits(max_message_size=4096))
    with _smtp(suite) as client:
        client.ehlo()
        assert client.has_extn("size") and client.esmtp_features["size"] == "4096"
        client.mail("passerelle@dgfip.example")  # no SIZE= announced: refused at the end of DATA
        client.rcpt("ordonnateur@mairie.example")
        code, _ = client.data(_mail("Trop gros", size=8192).as_string())
        assert code == 552
        with pytest.raises(smtplib.SMTPSenderRefused) as announced:
            client.sendmail("a@example.org", ["b@example.org"], _mail("Annoncé", size=8192).as_string())
        assert announced.value.smtp_code == 552
    assert suite.outbox.messages() == []


def test_a_full_outbox_refuses_with_452_until_it_is_emptied(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", mail_limits=MailLimits(max_messages=1))
    with _smtp(suite) as client:
        client.send_message(_mail("Premier"))
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.send_message(_mail("Second"))
        assert refused.value.smtp_code == 452
        assert [mail.subject for mail in suite.outbox.messages()] == ["Premier"]
        suite.reset()
        client.send_message(_mail("Second"))
    assert [mail.subject for mail in suite.outbox.messages()] == ["Second"]


def test_a_client_that_stops_sending_is_disconnected_after_the_data_timeout(
    mockpartners: SuiteFactory,
) -> None:
    suite = mockpartners("onss", mail_limits=MailLimits(data_timeout=0.5))
    outbox = suite.info.outbox
    assert outbox is not None
    with socket.create_connection((outbox.host, outbox.port), timeout=10) as connection:
        reader = connection.makefile("rb")
        assert reader.readline().startswith(b"220 ")
        connection.sendall(b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n")
        connection.sendall(b"DATA\r\nSubject: half\r\n\r\nthe rest never comes")
        replies = reader.read()  # returns once the sink closes the connection (10 s at most)
    assert b"354 " in replies and b"250 2.0.0" not in replies
    assert suite.outbox.messages() == []


def test_a_malformed_relay_is_one_clear_error(tmp_path: Path) -> None:
    for arguments, environment in [
        (["--mail-relay", "mailpit"], {}),
        ([], {"MOCKPARTNERS_MAIL_RELAY": "mailpit:smtp"}),
    ]:
        result = subprocess.run(
            [*COMMAND, "up", "onss", "--ports", "ephemeral", "--state-dir", str(tmp_path), *arguments],
            capture_output=True, text=True, timeout=60, env={**NO_TOKEN, **environment},
        )  # fmt: skip
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.startswith("mockpartners: error: mail relay ")
        assert "expected HOST:PORT" in result.stderr


def test_an_address_with_too_many_connections_gets_421_and_another_address_does_not(
    mockpartners: SuiteFactory,
) -> None:
    suite = mockpartners("onss", mail_limits=MailLimits(connections_per_address=2))
    first, second = _smtp(suite, "127.0.0.2"), _smtp(suite, "127.0.0.2")
    try:
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            _smtp(suite, "127.0.0.2")
        assert refused.value.smtp_code == 421
        event = suite.journal.wait_for(Query(kind="mail.refused"), timeout=5)  # type: ignore[union-attr]
        assert event.client == "127.0.0.2" and "2 connections" in event.detail["reason"]
        with _smtp(suite, "127.0.0.3") as other:
            assert other.noop()[0] == 250
    finally:
        first.close()
        second.close()


def test_partner_mail_goes_through_the_sink_and_the_relay(mockpartners: SuiteFactory) -> None:
    relay = mockpartners("magda")  # a second suite's outbox is the team's relay
    assert relay.info.outbox is not None
    suite = mockpartners("onss", mail_relay=f"127.0.0.1:{relay.info.outbox.port}")
    assert suite.info.outbox is not None and suite.info.outbox.relay == f"127.0.0.1:{relay.info.outbox.port}"
    message_id = suite["onss"].send_mail(_mail("Fichier disponible")).result(timeout=10)

    stored = suite.outbox.wait_for(subject="disponible", timeout=10)
    assert stored.partner == "onss" and stored.message_id == message_id
    received = suite["onss"].journal.wait_for(Query(kind="mail.received"), timeout=5)
    assert received.protocol == "smtp" and received.client == "127.0.0.1", "it came over SMTP"
    relayed = relay.outbox.wait_for(subject="disponible", timeout=10)
    assert relayed.message_id == message_id and relay.outbox.message(relayed.id)[PARTNER_HEADER] == "onss"
    event = suite["onss"].journal.wait_for(Query(kind="mail.relay"), timeout=10)
    assert event.outcome == "ok" and event.detail["message_id"] == message_id


def test_a_relay_that_is_down_is_journalled_and_the_mail_stays_in_the_outbox(
    mockpartners: SuiteFactory,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    suite = mockpartners("onss", mail_relay=f"127.0.0.1:{port}")
    message_id = suite["onss"].send_mail(_mail("Partenaire non autorisé")).result(timeout=20)
    event = suite["onss"].journal.wait_for(Query(kind="mail.relay"), timeout=20)
    assert event.outcome == "failed" and event.detail["relay"] == f"127.0.0.1:{port}"
    assert "refused" in event.detail["reason"].lower()
    assert [mail.message_id for mail in suite.outbox.messages()] == [message_id]


def test_a_suite_reset_empties_the_outbox_and_a_restart_keeps_it(
    mockpartners: SuiteFactory, tmp_path: Path
) -> None:
    state = tmp_path / "kept"
    suite = mockpartners("onss", state_dir=state)
    suite["onss"].send_mail(_mail("Premier")).result(timeout=10)
    suite.outbox.wait_for(subject="Premier", timeout=10)
    suite.stop()
    again = mockpartners("onss", state_dir=state)
    assert [mail.subject for mail in again.outbox.messages()] == ["Premier"]
    again["onss"].send_mail(_mail("Second")).result(timeout=10)
    assert again.outbox.wait_for(subject="Second", timeout=10).id == "000002", "ids go on in order"
    again.reset("onss")
    assert len(again.outbox.messages()) == 2, "a partner's reset leaves the suite's outbox"
    again.reset()
    assert again.outbox.messages() == [] and not list((state / "outbox").glob("*.eml"))
    with pytest.raises(JournalTimeout):
        again.outbox.wait_for(subject="Premier", timeout=0.1)


def test_a_read_is_journalled_and_a_tests_own_look_is_not(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)
    message_id = suite["onss"].send_mail(_mail("Transfert correct")).result(timeout=10)
    mail = suite.outbox.wait_for(subject="correct", timeout=10)
    suite.outbox.message(mail.id)
    suite.outbox.raw(mail.id)
    assert suite.journal.events(Query(kind="mail.read")) == []  # type: ignore[union-attr]
    api = _api(suite)
    assert api.get(f"/v1/mail/{mail.id}").status == 200
    assert api.get(f"/v1/mail/{mail.id}.eml?reader=thunderbird").status == 200
    suite.outbox.mark_read(message_id, "pop3:EXP0000001")  # by Message-ID, as a POP3 RETR may
    reads = suite.journal.events(Query(kind="mail.read"))  # type: ignore[union-attr]
    assert [event.detail["reader"] for event in reads] == ["admin-api", "thunderbird", "pop3:EXP0000001"]
    assert {
        (event.partner, event.path, event.detail["id"], event.detail["message_id"]) for event in reads
    } == {("onss", "000001.eml", "000001", message_id)}
    assert reads[0].detail["to"] == ["ordonnateur@mairie.example"]
    refused = api.get(f"/v1/mail/{mail.id}?reader=")
    assert refused.status == 400 and "reader: expected a name" in refused.error
    assert api.get("/v1/mail/000009?reader=cli").status == 404
    with pytest.raises(UnknownMailError, match="no mail '<nope@example>'"):
        suite.outbox.mark_read("<nope@example>", "cli")
    assert len(suite.journal.events(Query(kind="mail.read"))) == 3  # type: ignore[union-attr]


def test_a_mail_without_recipient_is_refused_at_once(onss: Partner) -> None:
    message = _mail("Sans destinataire")
    del message["To"]
    with pytest.raises(UsageError, match="needs a recipient"):
        onss.send_mail(message)


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, timeout=60, env=NO_TOKEN)


def test_mockpartners_mail_lists_shows_and_waits(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with up(tmp_path / "state", mockpartners_credentials, "--mail-relay", "127.0.0.1:9") as running:
        outbox = running.info.outbox
        assert outbox is not None and outbox.relay == "127.0.0.1:9"
        with smtplib.SMTP(outbox.host, outbox.port, timeout=10) as client:
            client.send_message(_mail("Transfert d'un fichier inexistant"))
        waited = _cli("mail", "wait", "--to", "ordonnateur", "--subject", "inexistant", *running.where)
        assert waited.returncode == 0, waited.stderr
        assert waited.stdout.startswith("000001  ") and "inexistant" in waited.stdout
        listed = _cli("mail", "list", "--json", *running.where)
        assert [mail["id"] for mail in json.loads(listed.stdout)] == ["000001"]
        shown = _cli("mail", "show", "000001", *running.where)
        assert "Subject: Transfert d'un fichier inexistant" in shown.stdout
        assert "transféré correctement" in shown.stdout
        raw = _cli("mail", "show", "000001", "--raw", *running.where)
        assert raw.stdout.startswith("Return-Path: <passerelle@dgfip.example>")
        journal = Journal(running.state / "journal.sqlite3", read_only=True)
        reads = journal.events(Query(kind="mail.read"))
        journal.close()
        assert [(event.detail["id"], event.detail["reader"]) for event in reads] == [("000001", "cli")] * 2
        late = _cli("mail", "wait", "--subject", "jamais", "--timeout", "0.2", *running.where)
        assert late.returncode == 2 and "within 0.2 s" in late.stderr and "Traceback" not in late.stderr
        assert _cli("reset", *running.where).returncode == 0
        assert _cli("mail", "list", *running.where).stdout.strip() == "the outbox is empty"


def test_a_burst_of_mails_all_arrive_and_the_idle_outbox_holds_no_connection(
    mockpartners: SuiteFactory,
) -> None:
    """Queued mails go on the connections the outbox has (docs/mail.md); once none waits, it closes them,
    so an idle outbox takes none of the sink's per-address slots."""
    suite = mockpartners("onss")
    sent = [suite["onss"].send_mail(_mail(f"Avis {number}")) for number in range(20)]
    assert len({future.result(timeout=20) for future in sent}) == 20
    suite.outbox.wait_for(subject="Avis 19")
    journal = suite["onss"].journal
    assert len(journal.events(Query(kind="mail.received"))) == 20
    journal.wait_until(lambda: not suite.outbox.sink.connections, 10, "the outbox's connections to close")
