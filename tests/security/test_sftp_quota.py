"""A client cannot fill the partner's disk over SFTP: a quota per account and a reserve on the disk.

``limits.storage_per_account`` (bytes), ``limits.files_per_account`` (entries) and ``limits.disk_reserve``
(space always left free) are charged by every write that adds bytes or entries. A refusal is SFTP status 4
with the system's words ("Disk quota exceeded", "No space left on device"), journalled as ``fs.write``
refused; the upload is then incomplete and the partner never processes it.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import asyncssh
import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import asyncssh_connect, paramiko_sftp, sftp_batch

QUOTA = "onss.limits.storage_per_account=64KiB"
BIGGER = 256 * 1024


def _never_processed(onss: Partner, path: str) -> None:
    incomplete = onss.journal.wait_for(kind="partner.incomplete", path=path)
    closed = onss.journal.wait_for(kind="fs.close", path=path)
    assert closed.detail["complete"] is False and "a write was refused" in closed.detail["reason"]
    assert incomplete.ref == closed.id
    onss.wait_until_idle()
    assert onss.journal.events(kind=["partner.answer", "partner.reject", "partner.pickup"]) == []


def _paramiko_write_refused(onss: Partner, path: str, data: bytes, message: str) -> OSError:
    """What paramiko raises for a refused write. write() waits for each reply: put() and putfo() pipeline
    their writes and paramiko drops the errors of those replies."""
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp, sftp.open(path, "wb") as file, pytest.raises(OSError, match=message) as refused:
        file.write(data)
    return refused.value


def test_openssh_put_beyond_the_quota_fails_and_is_never_processed(
    mockpartners: SuiteFactory, tmp_path: Path
) -> None:
    onss = mockpartners("onss", settings=[QUOTA])["onss"]
    account = onss.account()
    big = tmp_path / "BIG.xml"
    big.write_bytes(b"<x/>" * (BIGGER // 4))
    result = sftp_batch(onss.endpoint(), account.username, f"put {big} IN/\n", key=account.private_key)
    assert result.returncode != 0
    # OpenSSH's sftp prints its own text for the status code (4: "Failure"), not the server's message
    assert 'write remote "/IN/BIG.xml": Failure' in result.stderr, result.stderr
    refused = onss.journal.wait_for(kind="fs.write", outcome="refused", path="IN/BIG.xml")
    assert refused.detail["limit"] == "quota"
    assert "limits.storage_per_account" in refused.detail["reason"]
    _never_processed(onss, "IN/BIG.xml")


def test_paramiko_and_asyncssh_see_status_4_disk_quota_exceeded(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=[QUOTA])["onss"]
    refused = _paramiko_write_refused(onss, "IN/PARAMIKO.xml", b"x" * BIGGER, "Disk quota exceeded")
    assert refused.errno is None  # paramiko's mapping of SSH_FX_FAILURE (status 4)
    account = onss.account()

    async def write() -> asyncssh.SFTPError:
        async with (
            asyncssh_connect(onss.endpoint(), account.username, [account.private_key]) as connection,
            connection.start_sftp_client() as client,
            client.open("IN/ASYNCSSH.xml", "wb") as file,
        ):
            with pytest.raises(asyncssh.SFTPError) as refused:
                await file.write(b"x", 2**20)  # a write far beyond the end: its growth is charged
            return refused.value

    error = asyncio.run(write())
    assert (error.code, error.reason) == (asyncssh.FX_FAILURE, "Disk quota exceeded")
    _never_processed(onss, "IN/PARAMIKO.xml")
    _never_processed(onss, "IN/ASYNCSSH.xml")


def test_a_huge_disk_reserve_refuses_the_first_write_as_disk_full(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.limits.disk_reserve=1PiB"])["onss"]
    _paramiko_write_refused(onss, "IN/FULL.xml", b"<request/>\n", "No space left on device")
    refused = onss.journal.wait_for(kind="fs.write", outcome="refused", path="IN/FULL.xml")
    assert refused.detail["limit"] == "disk" and "limits.disk_reserve" in refused.detail["reason"]
    _never_processed(onss, "IN/FULL.xml")


def test_files_per_account_refuses_a_new_file(mockpartners: SuiteFactory) -> None:
    """The home holds its six folders: with room for seven entries, the second new file is refused at OPEN."""
    onss = mockpartners("onss", settings=["onss.limits.files_per_account=7"])["onss"]
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(b"<a/>\n"), "IN/A.xml", confirm=False)
        with pytest.raises(OSError, match="Disk quota exceeded"):
            sftp.open("IN/B.xml", "wb")
        sftp.putfo(io.BytesIO(b"<a again/>\n"), "IN/A.xml", confirm=False)  # replacing adds no entry
    refused = onss.journal.wait_for(kind="fs.open", outcome="refused", path="IN/B.xml")
    assert "limits.files_per_account" in refused.detail["reason"]
    assert onss.journal.wait_for(kind="fs.write", outcome="refused").detail["limit"] == "files"


def test_a_setstat_that_grows_a_file_is_charged(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=[QUOTA])["onss"]
    onss.scenarios.off("setstat-refused")
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(b"<a/>\n"), "IN/GROW.xml", confirm=False)
        with pytest.raises(OSError, match="Disk quota exceeded"):
            sftp.truncate("IN/GROW.xml", 2**20)
        sftp.truncate("IN/GROW.xml", 2)  # shrinking is free
        with sftp.open("IN/GROW.xml", "a") as file, pytest.raises(OSError, match="Disk quota exceeded"):
            file.truncate(2**20)  # FSETSTAT on the handle
    assert [event.outcome for event in onss.journal.events(kind="fs.setstat")] == ["refused", "ok", "refused"]
    assert (Path(account.home) / "IN/GROW.xml").stat().st_size == 2


def test_room_freed_by_a_deletion_counts_at_once(mockpartners: SuiteFactory) -> None:
    """The quota measures the home again before it refuses: a client that deletes an answer it fetched
    can upload straight away."""
    onss = mockpartners("onss", settings=[QUOTA])["onss"]
    onss.files().drop("OUT/OLD.xml.ACK", b"x" * 60_000)
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        with sftp.open("IN/FIRST.xml", "wb") as file, pytest.raises(OSError, match="Disk quota exceeded"):
            file.write(b"<x/>" * 4096)
        sftp.remove("OUT/OLD.xml.ACK")
        with sftp.open("IN/SECOND.xml", "wb") as file:
            file.write(b"<x/>" * 4096)
    assert onss.wait_for_answer("IN/SECOND.xml").kind == "partner.answer"
