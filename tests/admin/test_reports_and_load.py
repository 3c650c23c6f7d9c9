"""Contract reports over HTTP after real SFTP sessions (paramiko), and API calls during transfers."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

from mockpartners import Suite
from tests.admin.conftest import Api
from tests.clients import paramiko_request, paramiko_sftp


def _upload(suite: Suite, name: str, *, rename: bool = False) -> None:
    """A request uploaded well, or (``rename``) with the RENAME that breaks the contract's no-rename rule."""
    onss = suite["onss"]
    onss.wait_for_answer(paramiko_request(onss.endpoint(), onss.account(), name, rename=rename))


def test_reports_in_json_text_and_junit(onss_suite: Suite, api: Api) -> None:
    _upload(onss_suite, "DMFA.1.xml")
    clean = api.get("/v1/report")
    assert clean.status == 200 and clean.headers["X-Contract-Passed"] == "true"
    report = clean.json()
    assert report["passed"] is True and report["counts"]["fail"] == 0
    statuses = {result["rule"]: result["status"] for result in report["results"]}
    assert statuses["no-rename"] == "pass" and statuses["uploads-in-upload-folders"] == "pass"
    assert api.ok("GET", "/v1/partners/onss/report")["results"] == report["results"]

    _upload(onss_suite, "DMFA.2.xml", rename=True)
    broken = api.ok("GET", "/v1/report?partner=onss&format=json")
    assert broken["passed"] is False
    (failed,) = [result for result in broken["results"] if result["status"] == "fail"]
    assert failed["rule"] == "no-rename" and failed["evidence"][0]["kind"] == "fs.rename"

    text = api.get("/v1/partners/onss/report?format=text")
    assert text.headers.get_content_type() == "text/plain" and text.headers["X-Contract-Passed"] == "false"
    assert "FAIL   onss/no-rename" in text.body.decode() and "contract broken" in text.body.decode()
    junit = api.get("/v1/report?format=junit")
    assert junit.headers.get_content_type() == "application/xml"
    suite = ElementTree.fromstring(junit.body).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"

    everything_after = api.ok("GET", f"/v1/report?after={broken['after']}")
    assert everything_after["passed"] is False
    api.ok("POST", "/v1/partners/onss/reset")  # reports start at the reset: clean again
    assert api.ok("GET", "/v1/report")["passed"] is True


def test_report_errors(api: Api) -> None:
    wrong_format = api.get("/v1/report?format=pdf")
    assert wrong_format.status == 400 and "format: expected one of json, text, junit" in wrong_format.error
    unknown = api.get("/v1/report?partner=lucca")
    assert unknown.status == 404 and "no partner 'lucca'" in unknown.error
    assert api.get("/v1/partners/onss/report?after=-3").status == 400


def test_api_calls_during_transfers_break_nothing(onss_suite: Suite, api: Api, tmp_path: Path) -> None:
    onss = onss_suite["onss"]
    account = onss.account()
    names = [f"LOAD.{number}.xml" for number in range(20)]

    def upload_all() -> None:
        transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
        with transport, sftp:
            for name in names:
                sftp.putfo(io.BytesIO(name.encode() * 2000), f"IN/{name}", confirm=False)

    def read_journal(worker: int) -> list[int]:
        statuses = []
        for round_number in range(10):
            query = "kind=fs.*&limit=50" if (worker + round_number) % 2 else "partner=onss&after=0&limit=200"
            statuses.append(api.get(f"/v1/journal?{query}").status)
        return statuses

    with ThreadPoolExecutor(max_workers=21) as pool:
        uploading = pool.submit(upload_all)
        readers = [pool.submit(read_journal, worker) for worker in range(20)]
        uploading.result(timeout=120)
        statuses = [status for reader in readers for status in reader.result(timeout=120)]
    assert statuses == [200] * 200
    for name in names:
        assert onss.wait_for_answer(f"IN/{name}").kind == "partner.answer"
    answers = api.ok("GET", "/v1/journal?kind=partner.answer&after=0")["events"]
    assert sorted(event["path"] for event in answers) == sorted(f"IN/{name}" for name in names)
    assert api.ok("GET", "/health")["status"] == "ok"
