"""The XFB gateway's mails (TASK Collectivités' guide, D/6): transfer correct, partner not authorised for
the ordonnateur, transfer of a file that does not exist, and the treasury's notice that a file is available;
each sent to the ordonnateur's address over SMTP into the suite's outbox, where a test waits for it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mockpartners import Partner
from tests.clients import require


def _deposit(xfb: Partner, username: str, reference: str, site: str, name: str, data: Path) -> None:
    endpoint = xfb.endpoint("gateway")
    password = xfb.account(username).password
    url = (f"http://{endpoint.host}:{endpoint.port}/depot-xt?user={username}&password={password}"
           f"&reference={reference}&site={site}&file={name}")  # fmt: skip
    command = [
        require("curl"),
        "-sS",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        f"@{data}",
    ]
    sent = subprocess.run([*command, url], capture_output=True, timeout=30)
    assert sent.returncode == 0, sent.stderr


def test_each_kind_of_mail_reaches_the_ordonnateur_through_smtp(xfb: Partner, tmp_path: Path) -> None:
    outbox = xfb.outbox
    assert outbox is not None
    mandat = tmp_path / "MANDAT12"
    mandat.write_text("mandats\n")
    empty = tmp_path / "VIDE"
    empty.write_bytes(b"")

    _deposit(xfb, "45000001", "GRCT450", "C175", "MANDAT12", mandat)
    correct = outbox.wait_for(to="ordonnateur@ville-saint-exemple.example", subject="transfert correct")
    assert correct.subject == "XFB Gateway : transfert correct du fichier MANDAT12"
    assert correct.sender == "xfb-gateway@dgfip.example" and correct.partner == "xfb"
    text = outbox.message(correct.id).get_content()
    assert "référence applicative GRCT450, site de destination C175, MANDATS" in text
    assert "Ville de Saint-Exemple (45000001)" in text

    _deposit(xfb, "45000002", "GRCT450", "C175", "ROLE1", mandat)
    refused = outbox.wait_for(to="regie-eaux@ville-saint-exemple.example", subject="non autoris")
    assert refused.subject == "XFB Gateway : partenaire non autorisé pour l'ordonnateur 45000002"

    _deposit(xfb, "45000001", "GRCT450", "C175", "MANDAT13", empty)
    missing = outbox.wait_for(to="ordonnateur@ville-saint-exemple.example", subject="inexistant")
    assert "MANDAT13" in outbox.message(missing.id).get_content()

    xfb.files("45000001").drop("retours/RCT290G", b"OCRE\n")
    notice = outbox.wait_for(to="ordonnateur@ville-saint-exemple.example", subject="mise à disposition")
    assert notice.sender == "tresor@dgfip.example"
    assert "RCT290G (local_ident 62899)" in outbox.message(notice.id).get_content()
    mails = xfb.journal.events(kind="partner.mail")
    assert len(mails) == 4
