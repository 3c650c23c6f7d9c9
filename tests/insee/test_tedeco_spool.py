"""TEDECO's spool written straight on disk, as the TASK scheduler does under \\tedeco\\ead\\[ead] (guide
I/2b): the scan takes each pair once, checks the request and the fixed-length records, compresses and
segments the file, and moves the mail through the statuses on the virtual clock, in the chrono file and the
journal: prepared, deposited, diffused, opened, or not acknowledged after 80 hours."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from mockpartners import Partner, Query
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.insee._tedeco import (
    ACCOUNT,
    chrono_fields,
    records,
    request,
    status,
    statuses,
    write_pair,
)


def test_a_pair_written_on_disk_goes_prepared_deposited_diffused_opened(insee_tedeco: Partner) -> None:
    insee_tedeco.clock.freeze()
    home = write_pair(insee_tedeco, "0001", records(3))

    taken = insee_tedeco.journal.wait_for(kind="partner.pickup", account=ACCOUNT, path="ead/001/rq0001.001")
    assert taken.detail["decision"] == "accepted" and taken.detail["records"] == 3
    assert taken.detail["segments"] == 1 and taken.detail["compressed_size"] < taken.detail["size"]
    assert not (home / "ead/001/rq0001.001").exists() and not (home / "ead/001/fi0001.001").exists()
    status(insee_tedeco, "chrono/0001.001", "prepared")
    chrono = chrono_fields(home, "chrono/0001.001")
    assert (chrono["status"], chrono["label"]) == ("prepared", "préparé")
    assert chrono["expanded_reference"] == "7812345338" and chrono["object"] == "wecivil1.038"

    insee_tedeco.clock.advance("1m")
    status(insee_tedeco, "chrono/0001.001", "deposited")
    insee_tedeco.clock.advance("5m")
    status(insee_tedeco, "chrono/0001.001", "diffused")
    insee_tedeco.clock.advance("2h")
    opened = status(insee_tedeco, "chrono/0001.001", "opened")
    assert opened.detail["label"] == "ouvert" and opened.detail["request"] == "ead/001/rq0001.001"
    assert statuses(insee_tedeco, "chrono/0001.001") == ["prepared", "deposited", "diffused", "opened"]
    chrono = chrono_fields(home, "chrono/0001.001")
    assert chrono["status"] == "opened" and {"prepared", "deposited", "diffused", "opened"} <= set(chrono)


def test_an_electoral_request_expands_var3_var4_in_its_reference(insee_tedeco: Partner) -> None:
    home = write_pair(insee_tedeco, "0007", records(2, separator=b"\n"), space="020")
    status(insee_tedeco, "chrono/0007.020", "prepared")
    chrono = chrono_fields(home, "chrono/0007.020")
    assert chrono["expanded_reference"] == "7812345200612" and chrono["space"] == "020 (élections)"


def test_never_opened_is_not_acknowledged_80_hours_after_the_deposit(insee_tedeco: Partner) -> None:
    insee_tedeco.clock.freeze()
    with insee_tedeco.scenarios("never-opened"):
        write_pair(insee_tedeco, "0002", records(3))
        status(insee_tedeco, "chrono/0002.001", "prepared")
    insee_tedeco.clock.advance("1m")
    deposited = status(insee_tedeco, "chrono/0002.001", "deposited")
    insee_tedeco.clock.advance("5m")
    status(insee_tedeco, "chrono/0002.001", "diffused")
    insee_tedeco.clock.advance("79h")
    insee_tedeco.wait_until_idle()
    assert statuses(insee_tedeco, "chrono/0002.001")[-1] == "diffused"
    insee_tedeco.clock.advance("55m")
    late = status(insee_tedeco, "chrono/0002.001", "not-acknowledged")
    assert (late.time - deposited.time).total_seconds() == 80 * 3600
    assert late.detail["label"] == "non acquitté" and "80 hours" in late.detail["reason"]


def test_a_file_over_2_mb_after_compression_is_segmented(insee_tedeco: Partner) -> None:
    count = 7100  # 284 random bytes each: about 2.02 MB that zlib cannot shrink
    content = b"".join(os.urandom(284).replace(b"\n", b"-").replace(b"\r", b"-") for _ in range(count))
    write_pair(insee_tedeco, "0003", content, var1=str(count))
    taken = insee_tedeco.journal.wait_for(kind="partner.pickup", account=ACCOUNT, path="ead/001/rq0003.001")
    assert taken.detail["compressed_size"] > 2_000_000 and taken.detail["segments"] == 2
    small = insee_tedeco.journal.events(kind="partner.pickup", account=ACCOUNT)
    assert all(event.detail.get("segments", 0) <= 2 for event in small)


def test_records_of_the_wrong_length_fail_the_mail_with_the_reason(insee_tedeco: Partner) -> None:
    home = write_pair(insee_tedeco, "0004", records(2) + b"short record\r\n", var1="3")
    failed = status(insee_tedeco, "chrono/0004.001", "failed")
    assert failed.detail["reason"] == "record 3 is shorter than 284 bytes (fixed-length records)"
    assert chrono_fields(home, "chrono/0004.001")["reason"] == failed.detail["reason"]

    write_pair(insee_tedeco, "0005", records(2), var1="5")
    wrong_count = status(insee_tedeco, "chrono/0005.001", "failed")
    assert wrong_count.detail["reason"] == "var1 says 5 records, fi0005.001 holds 2"


def test_a_bad_request_fails_at_once_with_one_clear_reason(insee_tedeco: Partner) -> None:
    home = Path(insee_tedeco.account(ACCOUNT).home)
    (home / "ead/001/fi0006.001").write_bytes(records(3))
    (home / "ead/001/rq0006.001").write_bytes(request("0006", compression="LZW"))
    failed = status(insee_tedeco, "chrono/0006.001", "failed")
    assert failed.detail["reason"] == "compression 'LZW': the agent compresses with LempelZiv only"
    (home / "ead/001/rq0008.001").write_bytes(request("0008", subject=""))
    assert status(insee_tedeco, "chrono/0008.001", "failed").detail["reason"] == "missing field(s): subject"
    (home / "ead/001/rq0009.001").write_bytes(b"subject: no equals sign\n")
    reason = status(insee_tedeco, "chrono/0009.001", "failed").detail["reason"]
    assert reason == "line 1 is not 'key = value': 'subject: no equals sign'"
    (home / "ead/001/rq0010.001").write_bytes(request("0010"))
    missing = status(insee_tedeco, "chrono/0010.001", "failed")
    assert missing.detail["reason"] == "no file fi0010.001 beside the request (write it first)"
    assert insee_tedeco.journal.events(kind="partner.error") == []


def test_a_bad_recipient_alias_fails_after_the_deposit(insee_tedeco: Partner) -> None:
    insee_tedeco.clock.freeze()
    write_pair(insee_tedeco, "0011", records(3), recipient="INSE")
    status(insee_tedeco, "chrono/0011.001", "prepared")
    insee_tedeco.clock.advance("6m")
    failed = status(insee_tedeco, "chrono/0011.001", "failed")
    assert (
        "erreur dans l'adresse destinataire" in failed.detail["reason"]
        and "'INSE'" in failed.detail["reason"]
    )
    assert statuses(insee_tedeco, "chrono/0011.001") == ["prepared", "deposited", "failed"]

    with insee_tedeco.scenarios(
        "bad-recipient-alias", account=ACCOUNT
    ):  # the right alias, failed all the same
        write_pair(insee_tedeco, "0012", records(3))
        status(insee_tedeco, "chrono/0012.001", "prepared")
    insee_tedeco.clock.advance("6m")
    assert status(insee_tedeco, "chrono/0012.001", "failed").detail["label"] == "en échec"


def test_a_pair_is_taken_once_even_when_scans_race(insee_tedeco: Partner) -> None:
    home = Path(insee_tedeco.account(ACCOUNT).home)
    (home / "ead/001/fi0013.001").write_bytes(records(3))
    assert insee_tedeco.scan(ACCOUNT) == []  # the file alone: the request is the trigger
    (home / "ead/001/rq0013.001").write_bytes(request("0013"))
    scans = [threading.Thread(target=insee_tedeco.scan) for _ in range(4)]
    for scan in scans:
        scan.start()
    for scan in scans:
        scan.join()
    status(insee_tedeco, "chrono/0013.001", "prepared")
    insee_tedeco.wait_until_idle()
    taken = insee_tedeco.journal.events(Query(kind="partner.pickup", path="ead/001/rq0013.001"))
    assert len(taken) == 1 and statuses(insee_tedeco, "chrono/0013.001") == ["prepared"]


def test_a_restart_goes_on_with_each_mail_where_it_was(mockpartners: SuiteFactory, tmp_path: Path) -> None:
    first = mockpartners("insee-tedeco", state_dir=tmp_path / "state")
    tedeco = first["insee-tedeco"]
    tedeco.clock.freeze()
    write_pair(tedeco, "0014", records(3))
    status(tedeco, "chrono/0014.001", "prepared")
    tedeco.clock.advance("1m")
    status(tedeco, "chrono/0014.001", "deposited")
    first.stop()

    again = mockpartners("insee-tedeco", state_dir=tmp_path / "state")["insee-tedeco"]
    again.clock.advance("5m")
    status(again, "chrono/0014.001", "diffused")
    home = Path(again.account(ACCOUNT).home)
    assert chrono_fields(home, "chrono/0014.001")["status"] == "diffused"
