"""Reading needs the read right, whatever else an SFTP open asks (issue 9, item 11).

ONSS's ``IN`` is write-only (guide 3.1), yet opening a file there with ``r+b`` returned its content. An open
with the read flag now needs the read right, one with any write flag the write right, both when both.
Uploads as the clients make them (write, create, truncate) are unaffected.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import asyncssh
import pytest

from mockpartners import Partner
from tests.clients import asyncssh_connect, paramiko_sftp, sftp_batch

SECRET = b"<dmfa>another upload's content</dmfa>\n"


def _uploaded(onss: Partner) -> str:
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(SECRET), "IN/SECRET.xml", confirm=False)  # paramiko put still works
    onss.wait_for_answer("IN/SECRET.xml")
    return "IN/SECRET.xml"


@pytest.mark.parametrize("mode", ["r+", "w+", "a+", "r"])
def test_paramiko_cannot_read_in_a_write_only_folder(onss: Partner, mode: str) -> None:
    path = _uploaded(onss)
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp, pytest.raises(PermissionError):
        sftp.open(path, mode)
    refused = onss.journal.wait_for(kind="fs.open", outcome="refused", path=path)
    assert "no read right in IN" in refused.detail["reason"]
    assert (Path(account.home) / path).read_bytes() == SECRET  # "w+" truncated nothing


def test_asyncssh_r_plus_b_is_refused(onss: Partner) -> None:
    path = _uploaded(onss)
    account = onss.account()

    async def read() -> BaseException:
        async with (
            asyncssh_connect(onss.endpoint(), account.username, [account.private_key]) as connection,
            connection.start_sftp_client() as sftp,
        ):
            with pytest.raises(asyncssh.SFTPError) as refused:
                await sftp.open(path, "r+b")
            return refused.value

    assert isinstance(asyncio.run(read()), asyncssh.SFTPPermissionDenied)


def test_uploads_still_work(onss: Partner, request_file: Path) -> None:
    account = onss.account()
    result = sftp_batch(
        onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
    )
    assert result.returncode == 0, result.stderr
    assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"

    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.put(str(request_file), "INTEST/PARAMIKO.xml", confirm=False)
    assert onss.wait_for_answer("INTEST/PARAMIKO.xml").kind == "partner.answer"
    opens = onss.journal.events(kind="fs.open")
    assert opens and all(event.outcome == "ok" for event in opens)
