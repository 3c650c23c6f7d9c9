"""Filling the partner's disk over FTPS: each account has a quota of bytes and of files, and the disk keeps
a reserve (profile ``limits``). A refused upload ends with FTP's own reply (552 for the account's
allocation, 452 for the disk), is journalled incomplete and is never processed."""

from __future__ import annotations

import contextlib
import ftplib
import io
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import curl_ftps_upload, ftplib_login

QUOTA = 100_000
EXCEEDED = r"^552 Requested file action aborted\. Exceeded storage allocation\."


@pytest.fixture
def small(mockpartners: SuiteFactory) -> Partner:
    return mockpartners("magda", settings=[f"magda.limits.storage_per_account={QUOTA}"])["magda"]


def test_curl_upload_beyond_the_quota_is_cut_and_never_processed(small: Partner, tmp_path: Path) -> None:
    request = tmp_path / "GROOT.xml"
    request.write_bytes(b"<Vraag/>" * 50_000)  # 400 KB
    result = curl_ftps_upload(small, request, "/to_vip/")
    # The server stops reading at the quota, answers 552 and closes the data connection. curl reads the 552
    # (exit 70, CURLE_REMOTE_DISK_FULL) unless it was still sending when the close came: the kernel then
    # resets the connection and curl stops at its send (exit 55), as with any server that stops reading.
    assert result.returncode in (55, 70), result.stderr
    if result.returncode == 70:
        assert "Exceeded storage allocation" in result.stderr

    refused = small.journal.wait_for(kind="fs.write", outcome="refused")
    assert refused.path == "to_vip/GROOT.xml" and refused.detail["limit"] == "quota"
    closed = small.journal.wait_for(kind="fs.close", path="to_vip/GROOT.xml")
    assert closed.detail["complete"] is False and "limits.storage_per_account" in closed.detail["reason"]
    assert closed.detail["bytes_written"] <= QUOTA
    assert small.journal.wait_for(kind="partner.incomplete", path="to_vip/GROOT.xml").ref == closed.id
    small.wait_until_idle()
    assert small.journal.events(kind=["partner.answer", "partner.reject"]) == []


def test_ftplib_upload_beyond_the_quota_gets_552_and_the_session_goes_on(small: Partner) -> None:
    with ftplib_login(small) as client:
        with client.transfercmd("STOR from_vip/GROOT.xml") as connection:
            with contextlib.suppress(OSError):  # the server stops reading at the quota
                connection.sendall(b"x" * 1_000_000)
            # the reply before closing: a close with unread data would be a reset, which loses data
            with pytest.raises(ftplib.error_perm, match=EXCEEDED):
                client.voidresp()
        assert sorted(client.nlst()) == ["cache", "from_vip", "publiek", "to_vip"]
    assert len(small.files(small.account().username).read("from_vip/GROOT.xml")) <= QUOTA


def test_a_used_quota_refuses_uploads_up_front(small: Partner) -> None:
    """Nothing is opened (nor truncated): the reply comes before any data connection is used."""
    files = small.files(small.account().username)
    files.drop("from_vip/VOL.xml", b"x" * QUOTA)
    with ftplib_login(small) as client:
        for command in ("STOR to_vip/KLEIN.xml.tmp", "APPE from_vip/VOL.xml", "STOR from_vip/VOL.xml"):
            with pytest.raises(ftplib.error_perm, match=EXCEEDED):
                client.storbinary(command, io.BytesIO(b"<Vraag/>"))
        client.delete("from_vip/VOL.xml")  # room again
        client.storbinary("STOR to_vip/KLEIN.xml.tmp", io.BytesIO(b"<Vraag/>"))
    assert files.list("to_vip") == ["KLEIN.xml.tmp"]
    refusals = small.journal.events(kind="fs.open", outcome="refused")
    assert [event.detail["reply"] for event in refusals] == [552, 552, 552]


def test_the_number_of_files_is_limited_too(mockpartners: SuiteFactory) -> None:
    """The home holds its six folders; two more entries fit."""
    magda = mockpartners("magda", settings=["magda.limits.files_per_account=8"])["magda"]
    with ftplib_login(magda) as client:
        client.storbinary("STOR from_vip/A.xml", io.BytesIO(b"a"))
        client.mkd("to_vip/upload")
        with pytest.raises(ftplib.error_perm, match=EXCEEDED):
            client.storbinary("STOR from_vip/B.xml", io.BytesIO(b"b"))
        with pytest.raises(ftplib.error_perm, match=EXCEEDED):
            client.mkd("to_vip/other")
        client.storbinary("STOR from_vip/A.xml", io.BytesIO(b"again"))  # no new file: allowed
    refused = magda.journal.wait_for(kind="fs.write", outcome="refused")
    assert refused.detail["limit"] == "files" and "limits.files_per_account" in refused.detail["reason"]


def test_the_disk_reserve_answers_452(mockpartners: SuiteFactory, tmp_path: Path) -> None:
    magda = mockpartners("magda", settings=["magda.limits.disk_reserve=1PiB"])["magda"]
    request = tmp_path / "VRAAG.xml.tmp"
    request.write_bytes(b"<Vraag/>")
    result = curl_ftps_upload(magda, request, "/to_vip/")
    assert result.returncode != 0 and "452" in result.stderr, result.stderr
    with (
        ftplib_login(magda) as client,
        pytest.raises(ftplib.error_temp, match=r"^452 Insufficient storage space\."),
    ):
        client.storbinary("STOR to_vip/VRAAG.xml.tmp", io.BytesIO(b"<Vraag/>"))
    assert magda.journal.wait_for(kind="fs.write", outcome="refused").detail["limit"] == "disk"
    assert magda.files(magda.account().username).list("to_vip") == []
