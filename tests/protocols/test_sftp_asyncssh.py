"""The ONSS double driven by asyncssh's client: exact SFTP status codes and broken connections."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from mockpartners import Partner
from tests.clients import asyncssh_connect

FX_PERMISSION_DENIED = 3


def _connect(onss: Partner, username: str | None = None, passphrase: bool = False) -> Any:
    account = onss.account(username, passphrase=passphrase or None)
    return asyncssh_connect(
        onss.endpoint(), account.username, [account.private_key], passphrase=account.passphrase
    )


def test_passphrase_protected_key_uploads(onss: Partner, request_file: Path) -> None:
    async def exchange() -> None:
        async with _connect(onss, passphrase=True) as connection, connection.start_sftp_client() as sftp:
            await sftp.put(str(request_file), f"/IN/{request_file.name}")

    asyncio.run(exchange())
    account = onss.account(passphrase=True)
    answer = onss.wait_for_answer(f"IN/{request_file.name}", account=account.username)
    assert answer.detail["answer"] == f"OUT/{request_file.name}.ACK"


@pytest.mark.parametrize("operation", ["rename", "posix_rename", "setstat", "chmod"])
def test_refusals_are_status_3_permission_denied(onss: Partner, request_file: Path, operation: str) -> None:
    async def exchange() -> int:
        async with _connect(onss) as connection, connection.start_sftp_client() as sftp:
            await sftp.put(str(request_file), f"/IN/{request_file.name}")
            try:
                if operation == "rename":
                    await sftp.rename(f"/IN/{request_file.name}", "/IN/other.xml")
                elif operation == "posix_rename":
                    await sftp.posix_rename(f"/IN/{request_file.name}", "/IN/other.xml")
                elif operation == "setstat":
                    await sftp.setstat(f"/IN/{request_file.name}", asyncssh.SFTPAttrs(mtime=0, atime=0))
                else:
                    await sftp.chmod(f"/IN/{request_file.name}", 0o600)
            except asyncssh.SFTPError as error:
                return error.code
            return 0

    assert asyncio.run(exchange()) == FX_PERMISSION_DENIED
    assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"


def test_disconnect_mid_upload_is_journalled_incomplete_and_never_processed(onss: Partner) -> None:
    async def interrupted_upload() -> None:
        connection = await _connect(onss)
        sftp = await connection.start_sftp_client()
        remote = await sftp.open("/IN/BIG.xml", "wb")
        await remote.write(b"<partial>" * 10_000)
        connection.abort()  # the client vanishes: no CLOSE, no channel close, no disconnect message
        await connection.wait_closed()

    asyncio.run(interrupted_upload())
    incomplete = onss.journal.wait_for(kind="partner.incomplete", path="IN/BIG.xml")
    closed = onss.journal.wait_for(kind="fs.close", path="IN/BIG.xml")
    assert closed.detail["complete"] is False
    assert incomplete.ref == closed.id
    disconnect = onss.journal.wait_for(kind="session.disconnect", session=closed.session)
    assert disconnect.id > closed.id, "the session ends after its files are closed"
    onss.wait_until_idle()
    assert onss.journal.events(kind=["partner.answer", "partner.reject", "partner.pickup"]) == []
    assert onss.files().list("OUT") == []


def test_other_sessions_are_unaffected_by_a_broken_one(onss: Partner, request_file: Path) -> None:
    async def both() -> None:
        broken = await _connect(onss)
        broken_sftp = await broken.start_sftp_client()
        remote = await broken_sftp.open("/IN/BROKEN.xml", "wb")
        await remote.write(b"x" * 1000)
        async with _connect(onss) as good, good.start_sftp_client() as sftp:
            broken.abort()
            await sftp.put(str(request_file), f"/IN/{request_file.name}")

    asyncio.run(both())
    assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"
    assert onss.journal.wait_for(kind="partner.incomplete", path="IN/BROKEN.xml").outcome == "ok"


def test_paths_are_resolved_inside_the_home(onss: Partner) -> None:
    async def exchange() -> tuple[str, str, list[str]]:
        async with _connect(onss) as connection, connection.start_sftp_client() as sftp:
            up = await sftp.realpath("/../../..")
            out = await sftp.realpath("IN/../OUT")
            names = sorted(await sftp.listdir("/.."))
            return up, out, names

    up, out, names = asyncio.run(exchange())
    assert (up, out) == ("/", "/OUT")
    assert names == [".", "..", "IN", "INTEST", "INTEST-S", "OUT", "OUTTEST", "OUTTEST-S"]
