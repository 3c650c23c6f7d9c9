"""INSEE's PECOTO: a census file mailed over SMTP (STARTTLS, AUTH) to the bureau, taken, and acknowledged by
mail into the collectivité's mailbox, which POP3 (STLS) serves."""

from __future__ import annotations

from mockpartners import Partner
from mockpartners.infra.journal import Query
from tests.insee._pecoto import census_mail, pop3_client, smtp_client


def test_a_census_file_mailed_is_taken_and_acknowledged_into_the_pop3_mailbox(insee_pecoto: Partner) -> None:
    with smtp_client(insee_pecoto) as client:
        client.send_message(census_mail(insee_pecoto))
    taken = insee_pecoto.journal.wait_for(Query(kind="partner.intake"))
    assert taken.path == "fichiers/rp96010.txt" and taken.account == "96010"
    assert (insee_pecoto.tree.home("96010").root / "fichiers/rp96010.txt").read_bytes() == b"census data\n"
    assert insee_pecoto.outbox is not None
    answer = insee_pecoto.outbox.wait_for(to="recensement@mairie-96010.example", subject="Accusé")
    assert answer.sender == "bureau-sm@pecoto.insee.example"

    client = pop3_client(insee_pecoto)
    count, _ = client.stat()
    assert count == 1
    _, lines, _ = client.retr(1)
    text = b"\n".join(lines).decode()
    assert "Subject: =?utf-8?q?Accus=C3=A9_de_r=C3=A9ception" in text or "Accusé" in text
    assert "In-Reply-To:" in text
    client.dele(1)
    client.quit()
    insee_pecoto.journal.wait_for(Query(kind="mail.read"))
    insee_pecoto.journal.wait_for(Query(kind="mail.deleted"))
    again = pop3_client(insee_pecoto)
    assert again.stat()[0] == 0
    again.quit()
