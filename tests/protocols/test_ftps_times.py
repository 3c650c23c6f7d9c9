"""MFMT on MAGDA: clients that preserve times (WinSCP by default, lftp's put, curl's quote) may set them
where the folder is writable (to_vip, from_vip, cache/from_vip); the read-only folders refuse them."""

from __future__ import annotations

import ftplib
import os
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import Certificate, curl_ftps_upload, ftplib_login, lftp_ftps

MOMENT = 1_000_000_000  # 2001-09-09 01:46:40 UTC
MFMT_MOMENT = "20010909014640"


def _mtime(magda: Partner, path: str) -> int:
    return int(os.stat(Path(magda.account().home) / path).st_mtime)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("to_vip/REQUEST.xml.tmp", True),
        ("from_vip/ANSWER.xml", True),
        ("cache/from_vip/ANSWER.xml", True),
        ("cache/to_vip/REQUEST.xml", False),
        ("publiek/CODES.xml", False),
    ],
)
def test_mfmt_follows_the_folders_write_right(magda: Partner, path: str, allowed: bool) -> None:
    magda.files("afnemer-0001").drop(path, b"<x/>")
    with ftplib_login(magda) as client:
        assert "MFMT" in client.sendcmd("FEAT")
        try:
            reply = client.sendcmd(f"MFMT {MFMT_MOMENT} {path}")
        except ftplib.error_perm as refusal:
            reply = str(refusal)
    event = magda.journal.wait_for(kind="fs.setstat", path=path)
    if allowed:
        assert reply == f"213 Modify={MFMT_MOMENT}; /{path}."
        assert _mtime(magda, path) == MOMENT
        assert (event.outcome, event.detail["mtime"]) == ("ok", MOMENT)
    else:
        assert reply.startswith("550 ")
        assert _mtime(magda, path) != MOMENT
        assert event.outcome == "refused"
        assert event.detail["reason"] == f"permission denied: no setstat right in {path.rsplit('/', 1)[0]}"


def test_site_chmod_does_not_exist_on_a_windows_server(magda: Partner) -> None:
    magda.files("afnemer-0001").drop("from_vip/ANSWER.xml", b"<x/>")
    with ftplib_login(magda) as client:
        with pytest.raises(ftplib.error_perm, match='500 Command "SITE CHMOD" not understood'):
            client.sendcmd("SITE CHMOD 777 from_vip/ANSWER.xml")
        assert "CHMOD" not in client.sendcmd("SITE HELP")


def _lftp_put(magda: Partner, local: Path) -> None:
    """lftp's ``put`` into to_vip, with the page's settings."""
    account = magda.account()
    certificate = Certificate.of(account)
    command = f"put {local} -o to_vip/{local.name}"
    result = lftp_ftps(magda.endpoint(), account.username, command, certificate=certificate)
    assert result.returncode == 0, result.stderr


def test_lftp_put_keeps_the_local_files_time(magda: Partner, tmp_path: Path) -> None:
    """lftp sends MFMT after every upload when FEAT offers it (the page turns only SITE UTIME2 off)."""
    local = tmp_path / "VRAAG.0004.xml.tmp"
    local.write_text("<Vraag/>\n")
    os.utime(local, (MOMENT, MOMENT))
    _lftp_put(magda, local)
    assert _mtime(magda, f"to_vip/{local.name}") == MOMENT
    assert magda.journal.wait_for(kind="fs.setstat", path=f"to_vip/{local.name}").outcome == "ok"


def test_lftp_carries_on_when_mfmt_is_refused(magda: Partner, tmp_path: Path) -> None:
    """With ``setstat-refused`` on (the upload folders lose the right), the upload still succeeds."""
    local = tmp_path / "VRAAG.0005.xml.tmp"
    local.write_text("<Vraag/>\n")
    with magda.scenarios("setstat-refused"):
        _lftp_put(magda, local)
    assert magda.files(magda.account().username).read(f"to_vip/{local.name}") == b"<Vraag/>\n"
    assert magda.journal.wait_for(kind="fs.setstat", path=f"to_vip/{local.name}").outcome == "refused"


def test_curl_sets_the_time_after_its_upload(magda: Partner, tmp_path: Path) -> None:
    """curl has no option to preserve an upload's time: a post-quote MFMT does it."""
    local = tmp_path / "VRAAG.0006.xml.tmp"
    local.write_text("<Vraag/>\n")
    result = curl_ftps_upload(magda, local, "/to_vip/", "-Q", f"-MFMT {MFMT_MOMENT} {local.name}")
    assert result.returncode == 0, result.stderr
    assert _mtime(magda, f"to_vip/{local.name}") == MOMENT
