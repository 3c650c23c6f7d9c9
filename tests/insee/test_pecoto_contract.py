"""PECOTO's contract rules (`mockpartners report`): one file per mail, the bureau's answers read over POP3,
mails sent over TLS after AUTH. A client that keeps them passes; each rule broken fails."""

from __future__ import annotations

from mockpartners import Partner
from mockpartners.infra.journal import Query
from tests.insee._pecoto import census_mail, pop3_client, smtp_client


def _statuses(partner: Partner) -> dict[str, str]:
    return {result.rule: result.status for result in partner.report().results}


def _read_all(partner: Partner) -> None:
    client = pop3_client(partner)
    for number in range(1, client.stat()[0] + 1):
        client.retr(number)
    client.quit()


def test_a_client_that_sends_one_file_over_tls_and_reads_the_answer_passes(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto) as client:
        client.send_message(census_mail(insee_pecoto))
    assert insee_pecoto.outbox is not None
    insee_pecoto.outbox.wait_for(to="recensement@mairie-96010.example", subject="Accusé")
    assert _statuses(insee_pecoto)["answers-read"] == "fail"
    _read_all(insee_pecoto)
    insee_pecoto.journal.wait_for(Query(kind="mail.read"))
    assert _statuses(insee_pecoto) == {
        "one-file-per-mail": "pass",
        "mails-over-tls-with-auth": "pass",
        "answers-read": "pass",
    }


def test_two_files_in_one_mail_are_refused_by_mail_and_break_the_rule(insee_pecoto: Partner) -> None:
    files = {"rp1.txt": b"one\n", "rp2.txt": b"two\n"}
    with smtp_client(insee_pecoto) as client:
        client.send_message(census_mail(insee_pecoto, files=files))
    refused = insee_pecoto.journal.wait_for(Query(kind="partner.refuse"))
    assert refused.detail["files"] == 2
    assert insee_pecoto.outbox is not None
    answer = insee_pecoto.outbox.wait_for(to="recensement@mairie-96010.example", subject="Rejet")
    assert "un seul fichier par courrier" in insee_pecoto.outbox.message(answer.id).get_content()
    assert _statuses(insee_pecoto)["one-file-per-mail"] == "fail"


def test_a_plain_try_before_starttls_breaks_the_tls_rule(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto, login=False) as client:
        client.ehlo()
        client.mail("recensement@mairie-96010.example")
    with smtp_client(insee_pecoto) as client:
        client.send_message(census_mail(insee_pecoto))
    insee_pecoto.journal.wait_for(Query(kind="partner.intake"))
    assert _statuses(insee_pecoto)["mails-over-tls-with-auth"] == "fail"
