"""Deposits on the XFB gateway's /depot-xt (TASK Collectivités' guide, B/3 and D/5): the raw request a
scheduler builds (curl, urllib), a browser's form (curl -F, what a form post sends), one file at a time,
the guide's "File received correctly" page, and the refusals; every step journalled."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import require

RECEIVED = """<HTML>
<HEAD>
  <TITLE>File received correctly</TITLE>
</HEAD>
<BODY>
<CENTER>
<H1><FONT color=GREEN>File received</FONT></H1>
<A HREF="?user=45000001&amp;password={password}">Continue ...</A>
</CENTER>
</BODY>
</HTML>
"""


def _base(xfb: Partner) -> str:
    endpoint = xfb.endpoint("gateway")
    return f"http://{endpoint.host}:{endpoint.port}/depot-xt"


def _credentials(xfb: Partner, username: str = "45000001") -> str:
    password = xfb.account(username).password
    assert password is not None
    return f"user={username}&password={password}"


def _curl(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require("curl"), "-sS", *arguments], capture_output=True, encoding="iso-8859-1",
                          timeout=30)  # fmt: skip


def test_a_scheduler_deposits_a_file_and_reads_the_guides_page(xfb: Partner, tmp_path: Path) -> None:
    mandat = tmp_path / "MANDAT12"
    mandat.write_bytes(b"<PES_Aller>mandats</PES_Aller>\n")
    url = f"{_base(xfb)}?{_credentials(xfb)}&reference=GRCT450&site=C175&file=MANDAT12"
    sent = _curl("-H", "Content-Type: application/octet-stream", "--data-binary", f"@{mandat}", url)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == RECEIVED.format(password=xfb.account("45000001").password)
    assert xfb.files("45000001").read("depots/MANDAT12") == mandat.read_bytes()
    closed = xfb.journal.wait_for(kind="fs.close", account="45000001", path="depots/MANDAT12")
    assert closed.detail["complete"] is True and closed.protocol == "http"
    deposit = xfb.journal.wait_for(kind="partner.deposit", account="45000001")
    assert (deposit.detail["decision"], deposit.detail["reference"], deposit.detail["site"]) == (
        "accepted",
        "GRCT450",
        "C175",
    )


def test_a_browser_form_sends_one_file_with_its_reference_and_site(xfb: Partner, tmp_path: Path) -> None:
    titre = tmp_path / "TITRE1"
    titre.write_text("titres\n")
    form = _curl(f"{_base(xfb)}/send?{_credentials(xfb)}")
    assert 'ENCTYPE="multipart/form-data"' in form.stdout and 'NAME="reference"' in form.stdout
    sent = _curl(
        "-F",
        "reference=GRCT450",
        "-F",
        "site=C175",
        "-F",
        f"file=@{titre}",
        f"{_base(xfb)}?{_credentials(xfb)}",
    )
    assert "<TITLE>File received correctly</TITLE>" in sent.stdout, sent.stdout
    assert xfb.files("45000001").read("depots/TITRE1") == b"titres\n"

    two = _curl("-w", "%{http_code}", "-F", "reference=GRCT450", "-F", "site=C175", "-F", f"file=@{titre}",
                "-F", f"other=@{titre};filename=TITRE2", f"{_base(xfb)}?{_credentials(xfb)}")  # fmt: skip
    assert two.stdout.endswith("400") and "one file at a time" in two.stdout


def test_refusals_missing_empty_and_without_reference_lose_nothing_and_keep_nothing(
    xfb: Partner, tmp_path: Path
) -> None:
    empty = tmp_path / "VIDE"
    empty.write_bytes(b"")
    cases = {
        "the file is empty": ("-F", "reference=GRCT450", "-F", "site=C175", "-F", f"file=@{empty}"),
        "no file": ("-F", "reference=GRCT450", "-F", "site=C175"),
        "the application reference and the destination site are required": (
            "-F",
            f"file=@{empty}",
        ),
    }
    for said, form in cases.items():
        answer = _curl("-w", "%{http_code}", *form, f"{_base(xfb)}?{_credentials(xfb)}")
        assert answer.stdout.endswith("400") and said in answer.stdout, (said, answer.stdout)
        assert "File not received" in answer.stdout
    assert xfb.files("45000001").list("depots") == []
    refusals = xfb.journal.events(kind="partner.refuse", account="45000001")
    assert [event.detail["reason"] for event in refusals] == [
        "the file is empty",
        "no file: choose the file to send",
        "the application reference and the destination site are required",
    ]


def test_a_pair_the_ordonnateur_may_not_use_is_received_then_refused(xfb: Partner) -> None:
    data = "rôles\n".encode("iso-8859-1")
    url = f"{_base(xfb)}?{_credentials(xfb, '45000002')}&reference=GRCT450&site=C175&file=ROLE1"
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert "<TITLE>File received correctly</TITLE>" in answer.read().decode("iso-8859-1")
    deposit = xfb.journal.wait_for(kind="partner.deposit", account="45000002")
    assert deposit.outcome == "refused" and deposit.detail["decision"] == "not-authorised"
    assert "partenaire non autoris" in str(deposit.detail["reason"])


def test_wrong_credentials_deposit_nothing(xfb: Partner, tmp_path: Path) -> None:
    url = f"{_base(xfb)}?user=45000001&password=wrong&reference=GRCT450&site=C175&file=X"
    request = urllib.request.Request(url, data=b"x", headers={"Content-Type": "application/octet-stream"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10).close()
    with refused.value:
        assert refused.value.code == 401
    assert xfb.files("45000001").list("depots") == []


def test_a_browsers_windows_path_keeps_its_last_part(xfb: Partner, tmp_path: Path) -> None:
    titre = tmp_path / "TITRE3"
    titre.write_text("titres\n")
    path = "c:\\transfert\\TITRE3"
    form = ("-F", "reference=GRCT450", "-F", "site=C175", "-F", f"file=@{titre};filename={path}")
    sent = _curl(*form, f"{_base(xfb)}?{_credentials(xfb)}")  # curl, as browsers, sends the backslashes raw
    assert "<TITLE>File received correctly</TITLE>" in sent.stdout, sent.stdout
    assert xfb.files("45000001").list("depots") == ["TITRE3"]
