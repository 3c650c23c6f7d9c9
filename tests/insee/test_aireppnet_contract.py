"""The AIREPPNET portal's contract rules (`mockpartners report`): one file per upload, 60 s between two
files of one collectivité (TASK Collectivités' guide, F: "Temporisation inter-fichiers : 60")."""

from __future__ import annotations

from datetime import timedelta

from mockpartners import Partner
from tests.insee._aireppnet import Portal


def _statuses(partner: Partner) -> dict[str, str]:
    return {result.rule: result.status for result in partner.report().results}


def test_a_client_that_waits_and_sends_one_file_at_a_time_passes(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze()
    portal = Portal(insee_aireppnet)
    assert _statuses(insee_aireppnet)["files-spaced"] == "not-exercised"
    portal.log_in()
    portal.send("wecivil1.038")
    insee_aireppnet.clock.advance(timedelta(seconds=60))
    portal.send("wecivil2.038")
    assert _statuses(insee_aireppnet) == {"one-file-per-upload": "pass", "files-spaced": "pass"}


def test_files_too_close_and_two_files_at_once_break_the_contract(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze()
    portal = Portal(insee_aireppnet)
    portal.log_in()
    portal.send("wecivil1.038")
    assert portal.send("wecivil2.038").status_code == 429
    insee_aireppnet.clock.advance(timedelta(seconds=60))
    files = [("fichier", ("wecivil3.038", b"a\n")), ("fichier", ("wecivil4.038", b"b\n"))]
    portal.browser.post(f"{portal.base}/envoi", data={"type": "etat-civil"}, files=files, timeout=10)
    assert _statuses(insee_aireppnet) == {"one-file-per-upload": "fail", "files-spaced": "fail"}
