"""A smoke run of the benchmark (bench/, docs/performance.md): it runs end to end and writes every section.

No timing is asserted here: speed is measured by ``make bench``, side by side with sshd and vsftpd.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import SECTIONS
from bench._common import BenchError, program
from tests.clients import require

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """sshd and vsftpd live in /usr/sbin, off a normal user's PATH; a missing one skips (fails in CI)."""
    monkeypatch.setenv("PATH", os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    for name in ("sftp", "curl", "sshd", "vsftpd"):
        require(name)


@pytest.mark.usefixtures("bench_programs")
def test_a_quick_run_writes_every_section(tmp_path: Path) -> None:
    output, workdir = tmp_path / "latest.json", tmp_path / "work"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(output), "--workdir", str(workdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(output.read_text())
    assert set(document["sections"]) == set(SECTIONS)
    assert {row["section"] for row in document["rows"]} == set(SECTIONS)
    assert document["sections"]["sessions"]["rounds"]["mockpartners"][0]["sessions"] == 10
    assert document["sections"]["answers"]["files"] == 5
    fixtures = document["sections"]["startup"]["fixtures"]["partners"]
    assert set(fixtures) == {"onss", "magda"} and len(fixtures["onss"]["resets"]) == 20
    assert any(row["measure"].startswith("per-test cost of the onss fixture") for row in document["rows"])
    ftps = document["sections"]["ftps"]["measures"]
    for direction in ("upload", "download"):  # implicit TLS beside explicit, against vsftpd implicit_ssl
        assert set(ftps[f"{direction} explicit"]) == {"mockpartners", "vsftpd", "bare pyftpdlib"}
        assert set(ftps[f"{direction} implicit"]) == {"mockpartners", "vsftpd"}
    deposits = document["sections"]["http"]  # XFB deposits against bare aiohttp, the outbox against aiosmtpd
    assert set(deposits["large"]["measures"]["deposit"]) == {"mockpartners", "bare aiohttp"}
    assert [run["deposits"] for run in deposits["small"]["mockpartners"]] == [10]
    assert set(document["sections"]["outbox"]["rounds"]) == {"mockpartners", "bare aiosmtpd"}
    assert "mockpartners" in result.stdout and "vsftpd" in result.stdout  # the table was printed
    assert _nothing_left(workdir)


def _nothing_left(workdir: Path) -> bool:
    """Every server the bench started is gone (their pid files name no live process)."""
    for pid_file in workdir.glob("*/*.pid"):
        pid = int(pid_file.read_text().split()[0])
        if Path(f"/proc/{pid}").exists():
            return False
    return True


def test_update_docs_refuses_a_quick_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--update-docs", "--workdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("bench: error: --update-docs") and "Traceback" not in result.stderr


def test_a_missing_server_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr("bench._common._SYSTEM_PATHS", ())
    with pytest.raises(BenchError, match=r"vsftpd is not installed: apt-get install vsftpd"):
        program("vsftpd")
    with pytest.raises(BenchError, match=r"sshd is not installed: apt-get install openssh-server"):
        program("sshd")
