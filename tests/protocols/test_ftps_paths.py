"""MAGDA's page spells its folders From_vip, Publiek and cache\\to_vip: the (Windows-hosted) server reads
names without regard to case and takes a backslash as a separator. Each spelling reaches the real folder,
with the real folder's rights, through curl, lftp and ftplib; the journal names the folder as it is."""

from __future__ import annotations

import ftplib
import io
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, curl_ftps, curl_ftps_upload, ftplib_login, lftp_ftps

REQUEST = b'<?xml version="1.0"?><Vraag/>\n'


@pytest.mark.parametrize(
    ("url_path", "folder"),
    [("/From_vip/", "from_vip"), ("/Publiek/", "publiek"), ("/cache%5Cto_vip/", "cache/to_vip")],
)
def test_curl_lists_the_pages_spellings(magda: Partner, url_path: str, folder: str) -> None:
    magda.files("afnemer-0001").drop(f"{folder}/LISTED.xml", b"<x/>")
    account = magda.account()
    result = curl_ftps(
        magda.endpoint(), account.username, url_path, "-l", certificate=Certificate.of(account)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["LISTED.xml"]
    assert magda.journal.wait_for(kind="fs.list", outcome="ok").path == folder


def test_curl_uploads_into_a_backslash_path(magda: Partner, tmp_path: Path) -> None:
    local = tmp_path / "KOPIE.xml"
    local.write_bytes(REQUEST)
    result = curl_ftps_upload(magda, local, "/Cache%5CFrom_vip%5CKOPIE.xml")
    assert result.returncode == 0, result.stderr
    assert magda.files(magda.account().username).read("cache/from_vip/KOPIE.xml") == REQUEST


def test_lftp_changes_into_the_pages_spellings(magda: Partner) -> None:
    magda.files("afnemer-0001").drop("cache/to_vip/TAKEN.xml", b"<x/>")
    account = magda.account()
    result = lftp_ftps(
        magda.endpoint(),
        account.username,
        'cd "Cache\\\\To_vip"\npwd\nnlist',
        certificate=Certificate.of(account),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "TAKEN.xml"
    assert magda.journal.wait_for(kind="fs.cwd", outcome="ok").path == "cache/to_vip"


def test_ftplib_works_with_windows_paths_and_the_real_folders_rights(magda: Partner) -> None:
    """A request sent the page's way (To_vip\\NAME.tmp, then renamed) is processed; read-only folders
    stay read-only whatever their spelling."""
    with ftplib_login(magda) as client:
        client.storbinary("STOR To_vip\\VRAAG.0007.xml.tmp", io.BytesIO(REQUEST))
        client.rename("TO_VIP\\VRAAG.0007.xml.tmp", "to_vip\\VRAAG.0007.xml")
        answer = magda.wait_for_answer("to_vip/VRAAG.0007.xml")
        assert answer.detail["answer"] == "from_vip/VRAAG.0007.antwoord.xml"

        client.cwd("Cache\\From_vip")
        assert client.pwd() == "/cache/from_vip"
        client.rename("\\From_vip\\VRAAG.0007.antwoord.xml", "VRAAG.0007.antwoord.xml")  # into the cwd
        assert client.nlst() == ["VRAAG.0007.antwoord.xml"]
        client.cwd("\\")
        for refused in ("STOR Cache\\To_vip\\MINE.xml", "STOR PUBLIEK\\MINE.xml"):
            with pytest.raises(ftplib.error_perm, match="550"):
                client.storbinary(refused, io.BytesIO(REQUEST))
    refusals = magda.journal.events(kind="fs.open", outcome="refused")
    assert [event.path for event in refusals] == ["cache/to_vip/MINE.xml", "publiek/MINE.xml"]
    assert "no write right in cache/to_vip" in refusals[0].detail["reason"]


def test_a_case_sensitive_profile_refuses_other_spellings(mockpartners: SuiteFactory) -> None:
    magda = mockpartners(
        "magda", settings=["magda.paths.case_sensitive=true", "magda.paths.backslash_separator=false"]
    )["magda"]
    with ftplib_login(magda) as client:
        for path in ("From_vip", "cache\\to_vip"):
            with pytest.raises(ftplib.error_perm, match="550"):
                client.cwd(path)
        assert client.nlst("from_vip") == []
