"""TEDECO's spool driven from the command line, as a trainer does: ``mockpartners scan`` takes what waits
in the spool now, ``mockpartners export`` makes an OCRE return available in each space's return folder
(TASK Collectivités' guide, I/2b: "récupération des fichiers OCRE sous \\tedeco\\ea\\001 ou a020")."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mockpartners import Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.insee._tedeco import ACCOUNT, records, status, write_pair


@pytest.fixture
def tedeco_suite(mockpartners: SuiteFactory) -> Runtime:
    # a scan every minute of real time: only the command line takes the request within the test
    return mockpartners("insee-tedeco", admin=True, settings=["insee-tedeco.processors.0.scan_every=60"])


def _cli(suite: Runtime, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert suite.admin is not None
    command = [sys.executable, "-m", "mockpartners", *arguments, "--url", suite.admin.url]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_scan_and_export_from_the_command_line(tedeco_suite: Runtime) -> None:
    tedeco = tedeco_suite["insee-tedeco"]
    tedeco.wait_until_idle()  # the first scan, at start, found nothing
    write_pair(tedeco, "0001", records(3))
    scanned = _cli(tedeco_suite, "scan", "insee-tedeco", "--account", ACCOUNT)
    assert scanned.returncode == 0, scanned.stderr
    assert "partner.pickup ead/001/rq0001.001 in 96010's spool" in scanned.stdout
    status(tedeco, "chrono/0001.001", "prepared")
    assert _cli(tedeco_suite, "scan", "insee-tedeco").stdout.strip() == (
        "insee-tedeco: no request waiting (nothing taken)"
    )

    exported = _cli(tedeco_suite, "export", "insee-tedeco", "--account", ACCOUNT)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines() == [
        f"insee-tedeco: exported ea/001/la0001.001 in {ACCOUNT}'s home, event #{event.id}"
        if "001/" in str(event.path)
        else f"insee-tedeco: exported ea/a020/la0001.020 in {ACCOUNT}'s home, event #{event.id}"
        for event in tedeco.journal.events(kind="partner.export", account=ACCOUNT)
    ]
    assert tedeco.files(ACCOUNT).list("ea/a020") == ["la0001.020"]

    no_spool = _cli(tedeco_suite, "scan", "insee-tedeco", "--account", "99999")
    assert no_spool.returncode == 2 and "99999" in no_spool.stderr
