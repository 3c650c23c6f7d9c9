"""Item 1 of the hardening issue, as it was found: a suite whose state directory sits on a 64 MiB tmpfs.

One SFTP request (asyncssh's copy-data) wrote 200 MB in 0.08 s and filled it; /health stopped answering,
new SSH connections were dropped, and the session's close and disconnect events never reached the journal.
Now copy-data is not offered, every write is charged against the account's quota and the disk's reserve
(a tenth of a small disk is always left free), and the journal, the admin API and new logins carry on.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from mockpartners import Journal, Query
from tests.clients import asyncssh_connect
from tests.running import Running, up
from tests.security.conftest import fill, mounted_tmpfs


@pytest.fixture
def suite_on_a_small_disk(tmp_path: Path, mockpartners_credentials: Path) -> Iterator[Running]:
    for state in mounted_tmpfs(tmp_path / "state", "64m"):
        with up(state, mockpartners_credentials, "--admin-port", "0") as running:
            yield running


async def _write_until_refused(running: Running, name: str) -> tuple[int, str]:
    """Bytes written to IN/``name`` before the partner refused a write, and its message."""
    onss = running.info["onss"]
    account = onss.account("EXP0000001")
    written = 0
    connecting = asyncssh_connect(onss.endpoint(), account.username, [account.private_key])
    async with (
        connecting as connection,
        connection.start_sftp_client() as sftp,
        sftp.open(f"IN/{name}", "wb") as remote,
    ):
        try:
            while written < 200 * 2**20:
                await remote.write(b"\0" * 2**20, written)
                written += 2**20
        except asyncssh.SFTPFailure as refusal:
            return written, refusal.reason
    raise AssertionError("200 MiB were written on a 64 MiB disk")


def _health(running: Running) -> dict[str, object]:
    assert running.info.admin is not None
    with urllib.request.urlopen(f"{running.info.admin.url}/health", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def test_a_client_cannot_fill_a_small_disk(suite_on_a_small_disk: Running) -> None:
    running = suite_on_a_small_disk
    written, message = asyncio.run(_write_until_refused(running, "BIG.xml"))
    assert message == "No space left on device"
    assert 40 * 2**20 < written < 64 * 2**20, "refused at the reserve, long before the disk is full"

    assert _health(running)["status"] == "ok"
    journal = Journal(running.state / "journal.sqlite3", read_only=True)
    closed = journal.wait_for(Query(kind="fs.close", path="IN/BIG.xml"), timeout=10)
    assert closed.detail["complete"] is False
    journal.wait_for(Query(kind="session.disconnect", session=closed.session), timeout=10)
    journal.wait_for(Query(kind="partner.incomplete", path="IN/BIG.xml"), timeout=10)

    # something else fills the rest of the disk: logins go on, and the journal catches up once it can
    filler = fill(running.state)
    assert asyncio.run(_write_until_refused(running, "MORE.xml")) == (0, "No space left on device")
    assert _health(running)["status"] == "ok"
    filler.unlink()
    refused = journal.wait_for(Query(kind="fs.write", outcome="refused", path="IN/MORE.xml"), timeout=10)
    journal.wait_for(Query(kind="session.disconnect", session=refused.session), timeout=10)
