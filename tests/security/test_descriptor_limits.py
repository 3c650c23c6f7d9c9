"""Item 2 of the hardening issue, the process's part: descriptors.

Out of descriptors, asyncio logged a traceback for every refused accept (the log grew 140 MB in 40 s) and
every partner went down. The suite raises its soft limit to the hard one at start, and reports running out
once (``suite.resource`` in the journal, one warning on stderr); clients are served again as soon as
connections close.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from pathlib import Path

from mockpartners import Journal, SuiteInfo
from tests.clients import paramiko_sftp
from tests.running import Running, up


def _up_with_descriptors(
    state: Path, credentials: Path, soft: int, hard: int
) -> contextlib.AbstractContextManager[Running]:
    """``mockpartners up onss`` allowed ``soft`` open files (``hard`` at most)."""
    limit = (soft, hard)
    return up(
        state, credentials, "--no-admin", preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limit)
    )


def _soft_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-files line in /proc/PID/limits")


def test_the_soft_limit_is_raised_to_the_hard_one(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with _up_with_descriptors(tmp_path / "state", mockpartners_credentials, 256, 4096) as running:
        assert _soft_limit(running.process.pid) == 4096


def test_running_out_of_descriptors_is_reported_once_and_passes(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    state = tmp_path / "state"
    with _up_with_descriptors(state, mockpartners_credentials, 64, 64) as running:
        onss = SuiteInfo.load(state / "endpoints.json")["onss"]
        endpoint, account = onss.endpoint(), onss.account("EXP0000001")
        journal = Journal(state / "journal.sqlite3", read_only=True)
        held: list[socket.socket] = []
        try:
            for _ in range(100):  # far more than 64 descriptors: the listener runs out
                held.append(socket.create_connection((endpoint.host, endpoint.port), timeout=5))
            journal.wait_for(kind="suite.resource", timeout=10)
            time.sleep(2.5)  # not a wait for an outcome: asyncio retries the accept once a second meanwhile
        finally:
            for connection in held:
                connection.close()

        transport, sftp = paramiko_sftp(endpoint, account.username, key=account.private_key)
        with transport, sftp:  # the server accepts again once descriptors are free
            assert sorted(sftp.listdir("/")) == ["IN", "INTEST", "INTEST-S", "OUT", "OUTTEST", "OUTTEST-S"]

    assert running.errors.count("out of file descriptors") == 1, running.errors
    (event,) = journal.events(kind="suite.resource")
    assert event.outcome == "failed" and "ulimit -n" in event.detail["reason"]
