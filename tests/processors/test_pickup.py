"""Partner-side pickup: delays on the virtual clock, and exactly-once answers across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.processors import PickupProcessor
from tests.clients import paramiko_sftp


def _upload(partner: Partner, request_file: Path, remote: str) -> None:
    account = partner.account()
    transport, sftp = paramiko_sftp(partner.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.put(str(request_file), remote, confirm=False)


def test_arrivals_left_untaken_by_a_stopped_server_are_taken_once_after_restart(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = mockpartners("onss", state_dir=state, settings=["onss.pickup.delay=1h"])
    first["onss"].clock.freeze()
    _upload(first["onss"], request_file, f"IN/{request_file.name}")
    first.stop()  # the pending job dies with the process

    second = mockpartners("onss", state_dir=state)
    onss = second["onss"]
    answer = onss.wait_for_answer(f"IN/{request_file.name}")
    onss.wait_until_idle()
    assert len(onss.journal.events(kind="partner.answer")) == 1
    assert onss.files().list("OUT") == [f"{request_file.name}.ACK"]
    assert answer.ref == onss.journal.wait_for(kind="fs.close", path=f"IN/{request_file.name}").id

    second.stop()
    third = mockpartners("onss", state_dir=state)
    third["onss"].wait_until_idle()
    assert len(third["onss"].journal.events(kind="partner.answer")) == 1, "never answered twice"


def test_a_request_interrupted_before_its_answer_is_resumed(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"

    def crash(self: PickupProcessor, ticket: object, *, resumed: bool = False) -> None:
        raise RuntimeError("simulated crash between pickup and answer")

    mockpartners.allow_partner_errors()  # the crash is journalled as partner.error, on purpose

    with monkeypatch.context() as patch:
        patch.setattr(PickupProcessor, "_answer", crash)
        first = mockpartners("onss", state_dir=state)
        _upload(first["onss"], request_file, f"IN/{request_file.name}")
        first["onss"].journal.wait_for(kind="partner.pickup")
        first["onss"].wait_until_idle()
        first.stop()

    onss = mockpartners("onss", state_dir=state)["onss"]
    answer = onss.wait_for_answer(f"IN/{request_file.name}")
    assert answer.detail["resumed"] is True
    assert len(onss.journal.events(kind="partner.pickup")) == 1
    assert onss.files().list("OUT") == [f"{request_file.name}.ACK"]


def test_an_answer_written_but_not_journalled_is_not_duplicated(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    real_write = PickupProcessor._write_answer

    def write_then_crash(self: PickupProcessor, ticket: object, template: object) -> str:
        real_write(self, ticket, template)  # type: ignore[arg-type]
        raise RuntimeError("simulated crash after the answer was written")

    with monkeypatch.context() as patch:
        patch.setattr(PickupProcessor, "_write_answer", write_then_crash)
        first = mockpartners("onss", state_dir=state)
        _upload(first["onss"], request_file, f"IN/{request_file.name}")
        first["onss"].journal.wait_for(kind="partner.pickup")
        first["onss"].wait_until_idle()
        written = first["onss"].files().read(f"OUT/{request_file.name}.ACK")
        first.stop()

    onss = mockpartners("onss", state_dir=state)["onss"]
    onss.wait_for_answer(f"IN/{request_file.name}")
    assert onss.files().list("OUT") == [f"{request_file.name}.ACK"]
    assert onss.files().read(f"OUT/{request_file.name}.ACK") == written


def test_a_newer_upload_of_the_same_name_supersedes_the_waiting_one(
    mockpartners: SuiteFactory, request_file: Path
) -> None:
    onss = mockpartners("onss", settings=["onss.pickup.delay=5m"])["onss"]
    onss.clock.freeze()
    _upload(onss, request_file, f"IN/{request_file.name}")
    request_file.write_text("<dmfa>second version</dmfa>\n")
    _upload(onss, request_file, f"IN/{request_file.name}")
    onss.clock.advance("5m")
    skipped = onss.journal.wait_for(kind="partner.skip")
    assert "superseded" in skipped.detail["reason"]
    onss.wait_until_idle()
    (answer,) = onss.journal.events(kind="partner.answer")
    assert "second version" not in onss.files().read(answer.detail["answer"]).decode()
    assert answer.ref == onss.journal.events(kind="fs.close")[-1].id


def test_uploads_open_when_the_server_died_are_closed_as_incomplete(
    mockpartners: SuiteFactory, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = mockpartners("onss", state_dir=state)
    journal = first["onss"].journal
    # what a killed server leaves behind: a session that never ended, with an upload never closed
    journal.record("session.connect", partner="onss", protocol="sftp", session="dead", client="127.0.0.1:1")
    journal.record(
        "fs.open",
        partner="onss",
        protocol="sftp",
        session="dead",
        account="EXP0000001",
        path="IN/HALF.xml",
        mode="write",
    )
    (Path(first["onss"].account().home) / "IN" / "HALF.xml").write_text("<half")
    first.stop()

    onss = mockpartners("onss", state_dir=state)["onss"]
    closed = onss.journal.wait_for(kind="fs.close", session="dead")
    assert closed.detail["complete"] is False
    assert onss.journal.wait_for(kind="partner.incomplete", path="IN/HALF.xml").ref == closed.id
    assert (
        onss.journal.wait_for(kind="session.disconnect", session="dead").detail["reason"]
        == "the server stopped"
    )
    onss.wait_until_idle()
    assert onss.journal.events(kind=["partner.answer", "partner.reject"]) == []


def test_files_dropped_by_the_partner_api_are_processed_like_uploads(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss")["onss"]
    onss.files("UM0000002").drop("INTEST/FROM-API.xml", "<x/>")
    answer = onss.wait_for_answer("INTEST/FROM-API.xml", account="UM0000002")
    assert answer.detail["answer"] == "OUTTEST/FROM-API.xml.ACK"
