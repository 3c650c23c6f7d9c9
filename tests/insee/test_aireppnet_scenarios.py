"""The AIREPPNET portal's scenarios, seen by real clients: the right password refused, the session expired
mid-upload, files too close together (the profile's refusal, the scenario's refusal or loss), a file type
the portal does not take; and the inter-file delay as the profile keeps it (TASK Collectivités' guide, F)."""

from __future__ import annotations

from datetime import timedelta

from mockpartners import Partner
from tests.insee._aireppnet import Portal


def test_files_too_close_together_are_refused_with_retry_after(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze()
    portal = Portal(insee_aireppnet)
    portal.log_in()
    assert portal.send("wecivil1.038").status_code == 200
    insee_aireppnet.clock.advance(timedelta(seconds=20))
    too_soon = portal.send("wecivil2.038")
    assert too_soon.status_code == 429 and too_soon.headers["Retry-After"] == "40"
    assert "temporisation inter-fichiers non respect\u00e9e : attendez 40 s" in too_soon.text
    assert insee_aireppnet.files("96010").list("etat-civil") == ["wecivil1.038"]
    insee_aireppnet.clock.advance(timedelta(seconds=40))
    assert portal.send("wecivil2.038").status_code == 200
    other = Portal(insee_aireppnet, "75056")  # the delay is per collectivité
    other.log_in()
    assert other.send("wecivil1.075").status_code == 200


def test_files_too_close_scenario_loses_a_file_though_the_page_says_ok(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    portal.log_in()
    insee_aireppnet.scenarios.on("files-too-close", outcome="lost")
    answer = portal.send("welecfr1.038", file_type="elections-fr")
    assert answer.status_code == 200 and "Etat OK" in answer.text  # the page cannot tell
    lost = insee_aireppnet.journal.wait_for(kind="partner.lost", account="96010")
    assert lost.path == "elections-fr/welecfr1.038"
    assert insee_aireppnet.files("96010").list("elections-fr") == []
    assert "<td>OK</td>" in portal.get("/suivi").text
    insee_aireppnet.scenarios.on("files-too-close")  # the profile's outcome: refused
    assert portal.send("welecfr2.038", file_type="elections-fr").status_code == 429


def test_password_refused_refuses_the_right_password(insee_aireppnet: Partner) -> None:
    insee_aireppnet.scenarios.on("password-refused", account="96010")
    answer = Portal(insee_aireppnet).log_in()
    assert answer.status_code == 401 and "identifiant ou mot de passe incorrect" in answer.text
    refused = insee_aireppnet.journal.wait_for(kind="auth.attempt", account="96010", outcome="refused")
    assert "scenario password-refused" in str(refused.detail["reason"])
    assert Portal(insee_aireppnet, "75056").log_in().status_code == 200
    insee_aireppnet.scenarios.off("password-refused")
    assert Portal(insee_aireppnet).log_in().status_code == 200


def test_session_expired_mid_upload_keeps_nothing_and_shows_the_login_page(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    portal.log_in()
    insee_aireppnet.scenarios.on("session-expired")
    answer = portal.send("wecivil1.038", b"x" * 200_000)
    assert answer.status_code == 401 and 'name="identifiant"' in answer.text
    path = "etat-civil/wecivil1.038"
    closed = insee_aireppnet.journal.wait_for(kind="fs.close", account="96010", path=path)
    assert closed.detail["complete"] is False and closed.detail["bytes_written"] == 200_000
    assert insee_aireppnet.files("96010").list("etat-civil") == []
    expired = insee_aireppnet.journal.wait_for(kind="http.expired", account="96010")
    assert "during the upload" in str(expired.detail["reason"])
    insee_aireppnet.scenarios.off("session-expired")
    assert portal.get("/suivi").status_code == 401  # the session is over: log in again
    portal.log_in()
    assert "<td>Session expir\u00e9e</td>" in portal.get("/suivi").text


def test_wrong_file_type_refuses_one_type_for_the_collectivite(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze()
    portal = Portal(insee_aireppnet)
    portal.log_in()
    insee_aireppnet.scenarios.on("wrong-file-type", type="elections-eu")
    refused = portal.send("weleceu1.038", file_type="elections-eu")
    assert refused.status_code == 403 and "non autoris\u00e9 pour cette collectivit\u00e9" in refused.text
    assert insee_aireppnet.files("96010").list("elections-eu") == []
    assert portal.send("wecivil1.038").status_code == 200
    event = insee_aireppnet.journal.wait_for(kind="partner.transfer", outcome="refused")
    assert event.detail["refusal"] == "type-refused"
