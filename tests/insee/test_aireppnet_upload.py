"""Sending files to INSEE's AIREPPNET portal (TASK Collectivités' guide, F: "Sélectionnez le type de
fichier à envoyer... L'ordonnanceur se chargera de les adresser sur le bon serveur INSEE"; the "Tableau de
Bord": Date / Profil / Progression / Etat / Fichier local): one file with its type, routed to that type's
inbox, its name checked, the transfer log and an acknowledgement per file; every step journalled."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mockpartners import Partner
from tests.insee._aireppnet import Portal

MOMENT = datetime(2006, 6, 23, 9, 42, tzinfo=UTC)


def test_each_file_type_goes_to_its_own_inbox(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze(MOMENT)
    portal = Portal(insee_aireppnet)
    portal.log_in()
    sent = {"etat-civil": "wecivil1.038", "elections-fr": "welecfr1.038", "elections-eu": "weleceu1.038"}
    for file_type, name in sent.items():
        answer = portal.send(name, f"{file_type}\n".encode(), file_type)
        assert answer.status_code == 200 and "Etat OK" in answer.text, answer.text
        insee_aireppnet.clock.advance(timedelta(seconds=60))  # the delay kept, and not yet idle too long
    files = insee_aireppnet.files("96010")
    for file_type, name in sent.items():
        assert files.list(file_type) == [name]
        assert files.read(f"{file_type}/{name}") == f"{file_type}\n".encode()
    closed = insee_aireppnet.journal.wait_for(
        kind="fs.close", account="96010", path="elections-fr/welecfr1.038"
    )
    assert closed.detail["complete"] is True and closed.detail["file_type"] == "elections-fr"
    transfers = insee_aireppnet.journal.events(kind="partner.transfer", account="96010")
    assert [(event.path, event.detail["profile"], event.outcome) for event in transfers] == [
        ("etat-civil/wecivil1.038", "ETATCIVIL", "ok"),
        ("elections-fr/welecfr1.038", "ELECTIONS-FR", "ok"),
        ("elections-eu/weleceu1.038", "ELECTIONS-EU", "ok"),
    ]
    assert transfers[0].detail["server"] == "etat-civil.aireppnet.insee.example"


def test_the_transfer_log_shows_the_guides_columns_newest_first(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze(MOMENT)
    portal = Portal(insee_aireppnet)
    portal.log_in()
    portal.send("c:\\transfert\\wecivil.038")  # a scheduler sends its local path
    insee_aireppnet.clock.advance(timedelta(minutes=6))
    portal.log_in()  # idle more than 60 s: logged out
    portal.send("c:\\transfert\\wecivil1.038")
    page = portal.get("/suivi")
    assert page.status_code == 200
    head = "<tr><th>Date</th><th>Profil</th><th>Progression</th><th>Etat</th><th>Fichier local</th></tr>"
    assert head in page.text
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page.text
    )
    assert [row[:4] for row in rows] == [
        ("23/06/2006 \u00e0 09:48", "ETATCIVIL", "100 %", "OK"),
        ("23/06/2006 \u00e0 09:42", "ETATCIVIL", "100 %", "OK"),
    ]
    assert "c:\\transfert\\wecivil1.038</a>" in rows[0][4]
    assert insee_aireppnet.files("96010").list("etat-civil") == ["wecivil.038", "wecivil1.038"]


def test_each_file_has_an_acknowledgement_only_its_collectivite_reads(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze(MOMENT)
    portal = Portal(insee_aireppnet)
    portal.log_in()
    content = b"ETAT CIVIL 038\n" * 100
    answer = portal.send("wecivil1.038", content)
    link = re.search(r'href="(/accuse/\d+)"', answer.text)
    assert link is not None
    receipt = portal.get(link.group(1))
    assert receipt.status_code == 200 and "Accus\u00e9 de r\u00e9ception" in receipt.text
    server, size, digest = (
        "etat-civil.aireppnet.insee.example",
        f"{len(content)} octets",
        hashlib.sha256(content),
    )
    for said in ("wecivil1.038", "Etat Civil (ETATCIVIL)", server, size, digest.hexdigest(), "23/06/2006"):
        assert said in receipt.text, said
    assert "\u00e0 09:42:00" in receipt.text
    other = Portal(insee_aireppnet, "75056")
    other.log_in()
    assert other.get(link.group(1)).status_code == 404
    assert portal.get("/accuse/999999").status_code == 404


def test_curl_sends_a_file_as_the_form_does(insee_aireppnet: Partner, tmp_path: Path) -> None:
    portal = Portal(insee_aireppnet)
    jar = tmp_path / "cookies"
    form = f"identifiant=96010&mot_de_passe={portal.password}"
    portal.curl("-o", "/dev/null", "-d", form, f"{portal.base}/connexion", jar=jar)
    civil = tmp_path / "wecivil2.038"
    civil.write_bytes(b"naissances\n")
    sent = portal.curl("-F", "type=etat-civil", "-F", f"fichier=@{civil}", f"{portal.base}/envoi", jar=jar)
    assert sent.returncode == 0 and "Fichier transmis" in sent.stdout, sent.stdout + sent.stderr
    assert insee_aireppnet.files("96010").read("etat-civil/wecivil2.038") == b"naissances\n"


def test_wrong_names_and_types_are_refused_with_a_clear_page_and_nothing_kept(
    insee_aireppnet: Partner,
) -> None:
    insee_aireppnet.clock.freeze(MOMENT)
    portal = Portal(insee_aireppnet)
    portal.log_in()
    cases = [
        ("mandat.xml", "etat-civil", 400, "attendu un nom comme wecivil1.038"),
        ("wecivil1.038", "elections-fr", 400, "ce nom est celui d'un fichier Etat Civil"),
        ("wecivil1.999", "etat-civil", 400, "refus\u00e9 pour le type Etat Civil"),
        ("wecivil1.038", "cadastre", 400, "type de fichier inconnu du portail : 'cadastre'"),
    ]
    for name, file_type, status, said in cases:
        answer = portal.send(name, b"x\n", file_type)
        assert (answer.status_code, said in answer.text) == (status, True), (name, answer.text)
    files = insee_aireppnet.files("96010")
    assert files.list("etat-civil") == [] and files.list("elections-fr") == []
    refusals = insee_aireppnet.journal.events(kind="partner.transfer", account="96010", outcome="refused")
    assert [event.detail["refusal"] for event in refusals] == [
        "bad-name",
        "bad-name",
        "bad-name",
        "unknown-type",
    ]
    empty = portal.send("wecivil1.038", b"")
    assert empty.status_code == 400 and "the file is empty" in empty.text
    assert files.list("etat-civil") == []


def test_one_file_per_upload(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    portal.log_in()
    files = [("fichier", ("wecivil1.038", b"a\n")), ("fichier", ("wecivil2.038", b"b\n"))]
    answer = portal.browser.post(f"{portal.base}/envoi", data={"type": "etat-civil"}, files=files, timeout=10)
    assert answer.status_code == 400 and "un seul fichier par envoi" in answer.text
    assert insee_aireppnet.files("96010").list("etat-civil") == []
    closed = insee_aireppnet.journal.wait_for(
        kind="fs.close", account="96010", path="etat-civil/wecivil1.038"
    )
    assert closed.detail["complete"] is False
