"""Contract reports, proved with real clients: a client that breaks the partner's rules gets a failing
report that names each broken rule and shows the events; a client that keeps them gets a clean one.

Reports are read only once every client session has ended (``_settled``): a session's events are all
journalled before its disconnect, whereas an FTP reply may reach the client a moment before the server
journals the command it answers.
"""

from __future__ import annotations

import ftplib
import io
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import paramiko
import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.kernel.contract import ContractReport, RuleResult
from tests.clients import Certificate, curl_ftps, ftplib_tls, lftp_ftps, paramiko_sftp, sftp_batch

REQUEST = b'<?xml version="1.0"?><Vraag/>\n'
ONSS_RULES = ["uploads-in-upload-folders", "no-rename", "no-setstat", "answers-deleted-after-download"]
MAGDA_RULES = [
    "atomic-uploads",
    "protected-data",
    "answers-removed-from-from_vip",
    "copy-to-cache-from_vip",
    "nothing-written-to-read-only-folders",
]


def _settled(partner: Partner) -> None:
    """Until every client session of ``partner`` has ended (so all its operations are in the journal)."""

    def ended() -> bool:
        events = partner.journal.events(kind=["session.connect", "session.disconnect"], partner=partner.name)
        started = {event.session for event in events if event.kind == "session.connect"}
        return started <= {event.session for event in events if event.kind == "session.disconnect"}

    partner.journal.wait_until(ended, 5, f"every {partner.name} client session to end")


def _statuses(report: ContractReport) -> dict[str, str]:
    return {result.rule: result.status for result in report.results}


def _rule(report: ContractReport, name: str) -> RuleResult:
    return next(result for result in report.results if result.rule == name)


def _evidence(result: RuleResult) -> list[tuple[str, str | None, str]]:
    return [(event.kind, event.path, event.outcome) for event in result.evidence]


# -- ONSS (SFTP) -----------------------------------------------------------------------------------------


def _onss_session(
    onss: Partner, username: str | None = None
) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    account = onss.account(username)
    # PKey.from_path hands the passphrase to cryptography, which wants bytes (whatever its hint says)
    passphrase: Any = account.passphrase.encode() if account.passphrase else None
    return paramiko_sftp(onss.endpoint(), account.username, key=account.private_key, passphrase=passphrase)


def _winscp_with_bad_settings(onss: Partner, request_file: Path, tmp_path: Path) -> str:
    """WinSCP with "transfer to temporary filename" and "preserve timestamp" on, a slip into OUT, and an
    answer downloaded but never deleted; returns the answer's path."""
    name = request_file.name
    transport, sftp = _onss_session(onss)
    with transport, sftp:
        sftp.put(str(request_file), f"IN/{name}.filepart", confirm=False)
        with pytest.raises(PermissionError):
            sftp.rename(f"IN/{name}.filepart", f"IN/{name}")
        sftp.put(str(request_file), f"IN/{name}", confirm=False)
        with pytest.raises(PermissionError):
            sftp.utime(f"IN/{name}", (1_700_000_000, 1_700_000_000))
        with pytest.raises(PermissionError):
            sftp.put(str(request_file), f"OUT/{name}", confirm=False)
        answer = str(onss.wait_for_answer(f"IN/{name}").detail["answer"])
        sftp.get(answer, str(tmp_path / "answer.ack"))
    _settled(onss)
    return answer


def _good_sftp_client(onss: Partner, request_file: Path, tmp_path: Path, username: str | None = None) -> None:
    """Upload to IN, wait for the answer, download it, delete it: what the guide asks (3.1, 3.2)."""
    transport, sftp = _onss_session(onss, username)
    with transport, sftp:
        sftp.put(str(request_file), f"IN/{request_file.name}", confirm=False)
        answered = onss.wait_for_answer(f"IN/{request_file.name}", account=onss.account(username).username)
        answer = str(answered.detail["answer"])
        sftp.get(answer, str(tmp_path / "answer.ack"))
        sftp.remove(answer)
    _settled(onss)


def test_onss_bad_client_breaks_four_rules(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    name = request_file.name
    answer = _winscp_with_bad_settings(onss, request_file, tmp_path)

    report = onss.report()
    assert not report.passed
    assert _statuses(report) == dict.fromkeys(ONSS_RULES, "fail")
    assert _evidence(_rule(report, "no-rename")) == [("fs.rename", f"IN/{name}.filepart", "refused")]
    assert _evidence(_rule(report, "no-setstat")) == [("fs.setstat", f"IN/{name}", "refused")]
    assert _evidence(_rule(report, "uploads-in-upload-folders")) == [("fs.open", f"OUT/{name}", "refused")]
    assert _evidence(_rule(report, "answers-deleted-after-download")) == [("fs.close", answer, "ok")]
    assert _rule(report, "answers-deleted-after-download").evidence[0].detail["mode"] == "read"

    with pytest.raises(AssertionError) as raised:
        onss.assert_contract()
    message = str(raised.value)
    for rule in ONSS_RULES:
        assert f"contract rule onss/{rule} broken" in message
    assert "guide 4.4, request code 18" in message
    assert f"fs.rename IN/{name}.filepart refused" in message
    assert f"fs.setstat IN/{name} refused" in message
    assert f"fs.open OUT/{name} refused" in message
    assert f"fs.close {answer} ok" in message


def test_onss_good_client_keeps_every_rule(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    _good_sftp_client(onss, request_file, tmp_path)
    report = onss.assert_contract()
    assert _statuses(report) == dict.fromkeys(ONSS_RULES, "pass")
    assert _rule(report, "answers-deleted-after-download").summary == "1 fetched file(s), all removed"


def test_onss_good_run_with_openssh_sftp(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    """OpenSSH's put sends no SETSTAT without -p, and get then rm is the guide's way."""
    account = onss.account()
    uploaded = sftp_batch(
        onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
    )
    assert uploaded.returncode == 0, uploaded.stderr
    answer = onss.wait_for_answer(f"IN/{request_file.name}").detail["answer"]
    fetched = sftp_batch(
        onss.endpoint(), account.username, f"get {answer} {tmp_path}/\nrm {answer}\n", key=account.private_key
    )
    assert fetched.returncode == 0, fetched.stderr
    _settled(onss)
    assert _statuses(onss.assert_contract()) == dict.fromkeys(ONSS_RULES, "pass")


def test_nobody_talked_to_the_partners(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", "magda")
    report = suite["onss"].assert_contract() + suite["magda"].assert_contract()
    assert report.passed
    assert {result.status for result in report.results} == {"not-exercised"}
    assert [result.partner for result in report.results] == ["onss"] * 4 + ["magda"] * 5


def test_a_login_alone_exercises_nothing(onss: Partner) -> None:
    transport, sftp = _onss_session(onss)
    with transport, sftp:
        assert sorted(sftp.listdir()) == ["IN", "INTEST", "INTEST-S", "OUT", "OUTTEST", "OUTTEST-S"]
    _settled(onss)
    assert _statuses(onss.assert_contract()) == dict.fromkeys(ONSS_RULES, "not-exercised")


def test_one_accounts_deletion_does_not_excuse_another(
    onss: Partner, request_file: Path, tmp_path: Path
) -> None:
    """Both accounts get OUT/NAME.ACK in their own home: UM0000002 deleting its copy after EXP0000001
    downloaded and kept its own must not count for EXP0000001."""
    transport, sftp = _onss_session(onss, "EXP0000001")
    with transport, sftp:
        sftp.put(str(request_file), f"IN/{request_file.name}", confirm=False)
        answer = str(onss.wait_for_answer(f"IN/{request_file.name}", account="EXP0000001").detail["answer"])
        sftp.get(answer, str(tmp_path / "kept.ack"))
    _good_sftp_client(onss, request_file, tmp_path, "UM0000002")

    result = _rule(onss.report(), "answers-deleted-after-download")
    assert result.status == "fail" and result.summary == "1 fetched file(s) never removed"
    assert [(event.account, event.path) for event in result.evidence] == [("EXP0000001", answer)]


def test_hostile_file_names_cannot_break_the_reports(onss: Partner, request_file: Path) -> None:
    """A client chooses the names the evidence shows: control characters must not end up in the JUnit
    file (XML cannot carry them) nor reach the terminal."""
    hostile = "OUT/\x1b[2J\x01evil\x7f.xml"
    transport, sftp = _onss_session(onss)
    with transport, sftp, pytest.raises(OSError, match="Invalid filename"):
        sftp.put(str(request_file), hostile, confirm=False)
    _settled(onss)

    report = onss.report()
    result = _rule(report, "uploads-in-upload-folders")
    assert result.status == "fail" and result.evidence[0].path == hostile
    assert "\\x1b[2J\\x01evil\\x7f.xml" in report.to_text()
    assert "\x1b" not in report.to_text() and "\x1b" not in report.failure_message()
    suites = ElementTree.fromstring(report.to_junit())
    failure = suites.find("testsuite/testcase[@name='uploads-in-upload-folders']/failure")
    assert failure is not None and failure.text is not None and "evil" in failure.text
    assert json.loads(report.to_json())["results"][0]["evidence"][0]["path"] == hostile


# -- MAGDA (FTPS) ----------------------------------------------------------------------------------------


def _login(magda: Partner, username: str = "afnemer-0001") -> ftplib.FTP_TLS:
    client = ftplib_tls(magda.endpoint(), Certificate.of(magda.account(username)))
    client.login(username, "")  # the certificate is the credential
    client.prot_p()
    return client


def _magda_bad_client(magda: Partner) -> str:
    """Straight under the final name, a clear data channel, an answer left behind, a write into publiek;
    returns the answer's path."""
    with _login(magda) as client:
        client.storbinary("STOR to_vip/DIRECT.xml", io.BytesIO(REQUEST))
        answer = str(magda.wait_for_answer("to_vip/DIRECT.xml").detail["answer"])
        client.voidcmd("PBSZ 0")
        client.voidcmd("PROT C")
        with pytest.raises(ftplib.error_perm, match="522"):
            client.nlst("from_vip")
        client.prot_p()
        client.retrbinary(f"RETR {answer}", io.BytesIO().write)
        with pytest.raises(ftplib.error_perm, match="550"):
            client.storbinary("STOR publiek/MINE.xml", io.BytesIO(REQUEST))
    _settled(magda)
    return answer


def test_magda_bad_client_breaks_four_rules_and_ignores_the_advice(magda: Partner) -> None:
    answer = _magda_bad_client(magda)

    report = magda.report()
    assert not report.passed
    assert _statuses(report) == {
        "atomic-uploads": "fail",
        "protected-data": "fail",
        "answers-removed-from-from_vip": "fail",
        "copy-to-cache-from_vip": "advice",
        "nothing-written-to-read-only-folders": "fail",
    }
    assert _evidence(_rule(report, "atomic-uploads")) == [("partner.violation", "to_vip/DIRECT.xml", "ok")]
    assert _rule(report, "atomic-uploads").evidence[0].detail["rule"] == "atomic-upload"
    protected = _rule(report, "protected-data").evidence
    assert [(event.kind, event.detail.get("command"), event.detail.get("reply")) for event in protected] == [
        ("ftp.command", "PROT", 200),
        ("fs.list", "NLST", 522),
    ]
    assert _evidence(_rule(report, "answers-removed-from-from_vip")) == [("fs.close", answer, "ok")]
    assert _evidence(_rule(report, "copy-to-cache-from_vip")) == [("fs.close", answer, "ok")]
    assert _evidence(_rule(report, "nothing-written-to-read-only-folders")) == [
        ("fs.open", "publiek/MINE.xml", "refused")
    ]

    with pytest.raises(AssertionError) as raised:
        magda.assert_contract()
    message = str(raised.value)
    broken = [rule for rule in MAGDA_RULES if rule != "copy-to-cache-from_vip"]
    assert [line.split()[2] for line in message.splitlines() if line.startswith("contract rule")] == [
        f"magda/{rule}" for rule in broken
    ]
    assert "copy-to-cache-from_vip" not in message  # advice never fails a test
    assert "partner.violation to_vip/DIRECT.xml ok rule=atomic-upload" in message
    assert "fs.list from_vip refused command=NLST reply=522" in message


def test_renames_into_and_removals_of_read_only_folders_are_caught(magda: Partner) -> None:
    """A rename's target counts (moving an answer into publiek), and so does the folder itself."""
    magda.publish("from_vip/PRIVATE.xml", "<extract/>", account="afnemer-0001")
    with _login(magda) as client:
        with pytest.raises(ftplib.error_perm, match="550"):
            client.rename("from_vip/PRIVATE.xml", "publiek/PRIVATE.xml")
        with pytest.raises(ftplib.error_perm, match="550"):
            client.rmd("cache/to_vip")
        client.cwd("publiek")
        with pytest.raises(ftplib.error_perm, match="550"):
            client.delete("ANYTHING.xml")  # relative to the working folder
    _settled(magda)

    result = _rule(magda.report(), "nothing-written-to-read-only-folders")
    assert result.status == "fail"
    assert _evidence(result) == [
        ("fs.rename", "from_vip/PRIVATE.xml", "refused"),
        ("fs.rmdir", "cache/to_vip", "refused"),
        ("fs.remove", "publiek/ANYTHING.xml", "refused"),
    ]
    assert result.evidence[0].detail["target"] == "publiek/PRIVATE.xml"


@pytest.mark.parametrize("strategy", ["temporary name", "subfolder"])
def test_magda_good_client_keeps_every_rule(magda: Partner, strategy: str) -> None:
    """The page's two safe strategies, PROT P, and the answer moved to cache/from_vip then deleted."""
    with _login(magda) as client:
        if strategy == "temporary name":
            client.storbinary("STOR to_vip/GOOD.xml.tmp", io.BytesIO(REQUEST))
            client.rename("to_vip/GOOD.xml.tmp", "to_vip/GOOD.xml")
        else:
            client.mkd("to_vip/upload")
            client.storbinary("STOR to_vip/upload/GOOD.xml", io.BytesIO(REQUEST))
            client.rename("to_vip/upload/GOOD.xml", "to_vip/GOOD.xml")
        answer = str(magda.wait_for_answer("to_vip/GOOD.xml").detail["answer"])
        client.retrbinary(f"RETR {answer}", io.BytesIO().write)
        kept = answer.replace("from_vip/", "cache/from_vip/", 1)
        client.rename(answer, kept)
        client.delete(kept)
    _settled(magda)

    report = magda.assert_contract()
    assert _statuses(report) == dict.fromkeys(MAGDA_RULES, "pass")


def test_deleting_without_the_cache_copy_is_only_advice(magda: Partner) -> None:
    magda.publish("from_vip/PRIVATE.xml", "<extract/>", account="afnemer-0001")
    with _login(magda) as client:
        client.retrbinary("RETR from_vip/PRIVATE.xml", io.BytesIO().write)
        client.delete("from_vip/PRIVATE.xml")
    _settled(magda)

    report = magda.assert_contract()
    assert _rule(report, "answers-removed-from-from_vip").status == "pass"
    advice = _rule(report, "copy-to-cache-from_vip")
    assert advice.status == "advice" and advice.severity == "advice"
    assert "ADVICE magda/copy-to-cache-from_vip" in report.to_text()
    case = ElementTree.fromstring(report.to_junit()).find(
        "testsuite/testcase[@name='copy-to-cache-from_vip']"
    )
    assert case is not None and case.find("failure") is None
    output = case.find("system-out")
    assert output is not None and output.text is not None and output.text.startswith("advice: ")


def test_a_rename_that_stays_in_from_vip_does_not_remove_the_answer(magda: Partner) -> None:
    """X to X.done in from_vip leaves the file there; deleting X.done afterwards removes it."""
    magda.publish("from_vip/PRIVATE.xml", "<extract/>", account="afnemer-0001")
    with _login(magda) as client:
        client.retrbinary("RETR from_vip/PRIVATE.xml", io.BytesIO().write)
        client.rename("from_vip/PRIVATE.xml", "from_vip/PRIVATE.xml.done")
    _settled(magda)
    assert _rule(magda.report(), "answers-removed-from-from_vip").status == "fail"

    with _login(magda) as client:
        client.delete("from_vip/PRIVATE.xml.done")
    _settled(magda)
    assert _rule(magda.report(), "answers-removed-from-from_vip").status == "pass"


def test_magda_good_run_with_lftp(magda: Partner, tmp_path: Path) -> None:
    account = magda.account()
    request = tmp_path / "VRAAG.0002.xml"
    request.write_bytes(REQUEST)
    upload = (
        f"put {request} -o to_vip/{request.name}.tmp\nmv to_vip/{request.name}.tmp to_vip/{request.name}\n"
    )
    result = lftp_ftps(magda.endpoint(), account.username, upload, certificate=Certificate.of(account))
    assert result.returncode == 0, result.stderr
    answer = magda.wait_for_answer(f"to_vip/{request.name}").detail["answer"]
    kept = answer.replace("from_vip/", "cache/from_vip/", 1)
    fetch = f"get {answer} -o {tmp_path}/answer.xml\nmv {answer} {kept}\nrm {kept}\n"
    result = lftp_ftps(magda.endpoint(), account.username, fetch, certificate=Certificate.of(account))
    assert result.returncode == 0, result.stderr
    _settled(magda)
    assert _statuses(magda.assert_contract()) == dict.fromkeys(MAGDA_RULES, "pass")


def test_magda_good_run_with_curl(magda: Partner, tmp_path: Path) -> None:
    account = magda.account()
    certificate = Certificate.of(account)
    temporary = tmp_path / "VRAAG.0004.xml.tmp"
    temporary.write_bytes(REQUEST)
    rename = ["-Q", f"-RNFR {temporary.name}", "-Q", "-RNTO VRAAG.0004.xml"]
    result = curl_ftps(
        magda.endpoint(), account.username, "/to_vip/", "-T", str(temporary), *rename, certificate=certificate
    )
    assert result.returncode == 0, result.stderr
    answer = magda.wait_for_answer("to_vip/VRAAG.0004.xml").detail["answer"]
    name = answer.removeprefix("from_vip/")
    commands = [f"-RNFR {name}", f"-RNTO /cache/from_vip/{name}", f"-DELE /cache/from_vip/{name}"]
    after = [argument for command in commands for argument in ("-Q", command)]  # after the download
    result = curl_ftps(
        magda.endpoint(),
        account.username,
        f"/{answer}",
        "-o",
        str(tmp_path / "answer.xml"),
        *after,
        certificate=certificate,
    )
    assert result.returncode == 0, result.stderr
    _settled(magda)
    assert _statuses(magda.assert_contract()) == dict.fromkeys(MAGDA_RULES, "pass")


# -- output formats and the window -----------------------------------------------------------------------


def test_reports_print_as_text_json_and_junit(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path
) -> None:
    suite = mockpartners("onss", "magda")
    onss, magda = suite["onss"], suite["magda"]
    _winscp_with_bad_settings(onss, request_file, tmp_path)
    _magda_bad_client(magda)
    report = onss.report() + magda.report()
    assert len(report.results) == 9 and not report.passed
    assert report.after == min(onss.report().after, magda.report().after)

    text = report.to_text()
    assert "FAIL   onss/no-rename: No RENAME" in text
    assert f"fs.rename IN/{request_file.name}.filepart refused" in text
    assert "ADVICE magda/copy-to-cache-from_vip" in text
    assert text.endswith("contract broken: 0 pass, 8 fail, 0 not-exercised, 1 advice\n")

    document = json.loads(report.to_json())
    assert document["passed"] is False
    assert document["counts"] == {"pass": 0, "fail": 8, "not-exercised": 0, "advice": 1}
    first = document["results"][0]
    assert (first["partner"], first["rule"], first["status"]) == ("onss", "uploads-in-upload-folders", "fail")
    assert first["evidence"][0]["kind"] == "fs.open" and first["evidence"][0]["outcome"] == "refused"

    suites = ElementTree.fromstring(report.to_junit())
    assert suites.tag == "testsuites" and suites.get("tests") == "9" and suites.get("failures") == "8"
    by_name = {suite.get("name"): suite for suite in suites.findall("testsuite")}
    assert list(by_name) == ["onss contract", "magda contract"]
    assert [(s.get("tests"), s.get("failures"), s.get("skipped")) for s in by_name.values()] == [
        ("4", "4", "0"),
        ("5", "4", "0"),
    ]
    assert [case.get("name") for case in by_name["onss contract"].findall("testcase")] == ONSS_RULES
    failure = by_name["onss contract"].find("testcase[@name='no-setstat']/failure")
    assert failure is not None and failure.get("message") == "1 forbidden event(s)"
    assert failure.get("type") == "ContractViolation"
    assert (
        failure.text is not None
        and "guide 4.5, request code 9" in failure.text
        and "fs.setstat" in failure.text
    )


def test_junit_marks_rules_nobody_exercised_as_skipped(onss: Partner, request_file: Path) -> None:
    transport, sftp = _onss_session(onss)
    with transport, sftp:
        sftp.put(str(request_file), f"IN/{request_file.name}", confirm=False)
    _settled(onss)

    report = onss.report()
    assert _statuses(report) == {
        "uploads-in-upload-folders": "pass",
        "no-rename": "pass",
        "no-setstat": "pass",
        "answers-deleted-after-download": "not-exercised",
    }
    suite = ElementTree.fromstring(report.to_junit()).find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        "4",
        "0",
        "1",
    )
    skipped = suite.find("testcase[@name='answers-deleted-after-download']/skipped")
    assert skipped is not None and skipped.get("message") == "no file fetched"
    assert "----   onss/answers-deleted-after-download" in report.to_text()
    assert report.to_text().endswith("contract kept: 3 pass, 0 fail, 1 not-exercised, 0 advice\n")


def test_a_reset_starts_the_report_afresh(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    _winscp_with_bad_settings(onss, request_file, tmp_path)
    assert not onss.report().passed
    before = onss.window_start()

    onss.reset()
    assert onss.window_start() > before
    assert _statuses(onss.assert_contract()) == dict.fromkeys(ONSS_RULES, "not-exercised")

    # another name: wait_for_answer would find the answer given before the reset to the same name
    second = request_file.with_name("DMFA.654321.20261121.xml")
    second.write_bytes(request_file.read_bytes())
    _good_sftp_client(onss, second, tmp_path)
    assert _statuses(onss.assert_contract()) == dict.fromkeys(ONSS_RULES, "pass")
    assert not onss.report(after=0).passed  # the journal kept the earlier violations


# -- your own rules (the example in docs/contract.md) ----------------------------------------------------

OWN_RULES = """\
extends: onss
contract:
  production-only:
    description: Our nightly job sends to production only, never to INTEST or INTEST-S
    reference: our runbook, section 2
    check: uploads-only-in
    folders: [IN]
  no-setstat:
    severity: advice          # tolerated for now: WinSCP's "preserve timestamp" is on on some desks
"""


def test_own_rules_in_a_profile_that_extends_onss(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "my-onss.yaml"
    profile.write_text(OWN_RULES)
    onss = mockpartners(profile_files=[profile])["onss"]
    transport, sftp = _onss_session(onss)
    with transport, sftp:
        sftp.put(str(request_file), f"INTEST/{request_file.name}", confirm=False)
        with pytest.raises(PermissionError):
            sftp.utime(f"INTEST/{request_file.name}", (1_700_000_000, 1_700_000_000))
    _settled(onss)

    report = onss.report()
    assert _statuses(report) == {
        "uploads-in-upload-folders": "pass",
        "no-rename": "pass",
        "no-setstat": "advice",
        "answers-deleted-after-download": "not-exercised",
        "production-only": "fail",
    }
    assert _evidence(_rule(report, "production-only")) == [("fs.open", f"INTEST/{request_file.name}", "ok")]
    with pytest.raises(AssertionError, match="contract rule onss/production-only broken") as raised:
        onss.assert_contract()
    assert "no-setstat" not in str(raised.value)


def test_a_rules_severity_can_be_set_from_the_command_line(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.contract.no-setstat.severity=advice"])["onss"]
    assert onss.profile.contract["no-setstat"].severity == "advice"
    assert onss.profile.contract["no-rename"].severity == "error"
