"""TEDECO's spool over SFTP, for remote clients (OpenSSH ``sftp``): the same tree as on disk. A request
uploaded after its file is taken at once; the chrono file read after each status and the OCRE return
fetched keep the contract (guide I: "Vérifier régulièrement les statuts de courriers émis dans le chrono
départ"; "récupération des fichiers OCRE sous \\tedeco\\ea\\001 ou a020")."""

from __future__ import annotations

import io
from pathlib import Path

from mockpartners import Partner
from tests.clients import paramiko_sftp, sftp_batch
from tests.insee._tedeco import chrono_fields, records, request, status

KEYED = "75056"  # logs in with its sample key


def _sftp(partner: Partner, commands: str) -> str:
    account = partner.account(KEYED)
    done = sftp_batch(partner.endpoint("sftp"), KEYED, commands, key=account.private_key)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _upload_pair(partner: Partner, tmp_path: Path, number: str, **fields: str) -> None:
    (tmp_path / f"fi{number}.001").write_bytes(records(3))
    (tmp_path / f"rq{number}.001").write_bytes(request(number, **fields))
    _sftp(partner, f"put {tmp_path}/fi{number}.001 ead/001/\nput {tmp_path}/rq{number}.001 ead/001/\n")


def test_over_sftp_each_status_read_and_the_ocre_fetched_keep_the_contract(
    insee_tedeco: Partner, tmp_path: Path
) -> None:
    insee_tedeco.clock.freeze()
    _upload_pair(insee_tedeco, tmp_path, "0001")
    chrono = "chrono/0001.001"
    for advance, reached in [("0s", "prepared"), ("1m", "deposited"), ("5m", "diffused"), ("2h", "opened")]:
        insee_tedeco.clock.advance(advance)
        status(insee_tedeco, chrono, reached, account=KEYED)
        _sftp(insee_tedeco, f"get {chrono} {tmp_path}/chrono\n")
        assert chrono_fields(tmp_path, "chrono")["status"] == reached

    insee_tedeco.clock.advance("1h")  # INSEE's OCRE return, an hour after the opening (profile ocre.after)
    returned = insee_tedeco.journal.wait_for(kind="partner.export", account=KEYED)
    assert returned.path == "ea/001/la0001.001" and returned.detail["ocre"] is True
    listing = _sftp(insee_tedeco, "ls ea/001\n")
    assert "la0001.001" in listing
    _sftp(insee_tedeco, f"get ea/001/la0001.001 {tmp_path}/\n")
    assert "requete: rq0001.001" in (tmp_path / "la0001.001").read_text()

    report = insee_tedeco.assert_contract()
    results = {result.rule: result.status for result in report.results}
    assert results == {"one-file-per-request": "pass", "statuses-read": "pass", "ocre-fetched": "pass"}


def test_statuses_never_read_and_ocre_never_fetched_break_the_contract(
    insee_tedeco: Partner, tmp_path: Path
) -> None:
    insee_tedeco.clock.freeze()
    _upload_pair(insee_tedeco, tmp_path, "0002")
    status(insee_tedeco, "chrono/0002.001", "prepared", account=KEYED)
    _sftp(insee_tedeco, f"get chrono/0002.001 {tmp_path}/\n")
    insee_tedeco.clock.advance("1m")
    status(insee_tedeco, "chrono/0002.001", "deposited", account=KEYED)  # not read this time
    insee_tedeco.export(KEYED)  # OCRE returns made available on demand, never fetched

    results = {result.rule: result for result in insee_tedeco.report().results}
    assert results["statuses-read"].status == "fail"
    assert [event.detail["status"] for event in results["statuses-read"].evidence] == ["deposited"]
    assert results["ocre-fetched"].status == "fail"
    assert sorted(str(event.path) for event in results["ocre-fetched"].evidence) == [
        "ea/001/la0001.001",
        "ea/a020/la0001.020",
    ]


def test_a_request_naming_two_files_fails_and_breaks_one_file_per_request(
    insee_tedeco: Partner, tmp_path: Path
) -> None:
    _upload_pair(insee_tedeco, tmp_path, "0003", file="fi0003.001, fi0004.001")
    failed = status(insee_tedeco, "chrono/0003.001", "failed", account=KEYED)
    assert failed.detail["reason"].startswith("one file per request: file = 'fi0003.001, fi0004.001'")
    assert failed.detail["rule"] == "one-file-per-request"
    results = {result.rule: result for result in insee_tedeco.report().results}
    assert results["one-file-per-request"].status == "fail"
    assert results["one-file-per-request"].evidence[0].id == failed.id


def test_a_silent_agent_takes_nothing_until_t_tmp_tmpxted_are_purged(
    insee_tedeco: Partner, tmp_path: Path
) -> None:
    home = Path(insee_tedeco.account(KEYED).home)
    with insee_tedeco.scenarios("agent-silent", account=KEYED):
        _upload_pair(insee_tedeco, tmp_path, "0005")
        silent = insee_tedeco.journal.wait_for(kind="partner.silent", account=KEYED)
    assert silent.outcome == "failed" and "3 failed connections" in silent.detail["reason"]
    attempts = insee_tedeco.journal.events(kind="partner.connect", account=KEYED)
    assert [event.detail["attempt"] for event in attempts] == [1, 2, 3]
    assert sorted(path.name for path in (home / "tmpxted").iterdir()) == ["x400.001", "x400.002", "x400.003"]

    assert insee_tedeco.scan(KEYED) == []  # the link is back, but the agent stays silent
    assert (home / "ead/001/rq0005.001").exists()
    assert insee_tedeco.journal.events(kind="partner.pickup", account=KEYED) == []

    _sftp(insee_tedeco, "rm tmpxted/*\n")
    woke = insee_tedeco.journal.wait_for(kind="partner.silent", account=KEYED, after=silent.id)
    assert woke.outcome == "ok" and woke.detail["silent"] is False
    status(insee_tedeco, "chrono/0005.001", "prepared", account=KEYED)
    assert not (home / "ead/001/rq0005.001").exists()


def test_a_request_still_being_uploaded_is_left_for_the_next_scan(insee_tedeco: Partner) -> None:
    account = insee_tedeco.account(KEYED)
    transport, sftp = paramiko_sftp(insee_tedeco.endpoint("sftp"), KEYED, key=account.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(records(3)), "ead/001/fi0006.001")
        content = request("0006")
        with sftp.open("ead/001/rq0006.001", "wb") as handle:
            handle.write(content[:20])
            handle.flush()
            assert insee_tedeco.scan(KEYED) == []  # half a request: not taken
            handle.write(content[20:])
    status(insee_tedeco, "chrono/0006.001", "prepared", account=KEYED)
    assert len(insee_tedeco.journal.events(kind="partner.pickup", account=KEYED)) == 1
