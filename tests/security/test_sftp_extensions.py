"""SFTP extensions: the server announces its profile's list and refuses every other one (issue 9, item 1).

asyncssh's server used to announce ``copy-data``: one request wrote 200 MB on the partner's disk. Now an
endpoint announces ``endpoints.<name>.extensions`` only; whatever else a client sends is journalled and
answered SSH_FX_OP_UNSUPPORTED, and an extension a profile does offer goes through the rights, the journal and
the account's quota like the plain operation.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import asyncssh_connect, sftp_batch

CHUNK = b"x" * 256 * 1024
FAR = 200 * 2**20
READ_WRITE_IN = "onss.folders.IN.rights=[list, read, write]"


def _connect(partner: Partner) -> Any:
    account = partner.account()
    return asyncssh_connect(partner.endpoint(), account.username, [account.private_key])


def _copy_onto_itself(partner: Partner, *, announced: bool) -> tuple[BaseException, int]:
    """The issue's attack: write 256 KiB, then copy the file onto itself 200 MiB further. Returns the
    refusal and the file's size as the client then sees it."""

    async def attack() -> tuple[BaseException, int]:
        async with _connect(partner) as connection, connection.start_sftp_client() as sftp:
            async with sftp.open("IN/COPY.xml", "w+b") as file:
                await file.write(CHUNK)
                if not announced:  # a hostile client sends it although the server never offered it
                    sftp._handler._supports_copy_data = True
                with pytest.raises(asyncssh.SFTPError) as refused:
                    await sftp.remote_copy(file, file, 0, 0, FAR)
            return refused.value, (await sftp.stat("IN/COPY.xml")).size or 0

    return asyncio.run(attack())


def test_copy_data_is_not_offered_and_writes_nothing(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=[READ_WRITE_IN])["onss"]
    refusal, size = _copy_onto_itself(onss, announced=False)
    assert isinstance(refusal, asyncssh.SFTPOpUnsupported), refusal
    assert size == len(CHUNK)
    assert (Path(onss.account().home) / "IN/COPY.xml").stat().st_size == len(CHUNK)
    refused = onss.journal.wait_for(kind="fs.extension")
    assert (refused.outcome, refused.detail["extension"]) == ("refused", "copy-data")
    assert "endpoints.sftp.extensions" in refused.detail["reason"]


@pytest.mark.parametrize(
    "extension", ["hardlink@openssh.com", "ranges@asyncssh.com", "expand-path@openssh.com"]
)
def test_other_extensions_answer_op_unsupported(onss: Partner, extension: str) -> None:
    async def ask() -> BaseException:
        async with _connect(onss) as connection, connection.start_sftp_client() as sftp:
            with pytest.raises(asyncssh.SFTPError) as refused:
                await sftp._handler._make_request(extension.encode(), b"")
            return refused.value

    assert isinstance(asyncio.run(ask()), asyncssh.SFTPOpUnsupported)
    assert onss.journal.wait_for(kind="fs.extension").detail["extension"] == extension


def test_openssh_sees_only_the_profile_extensions(onss: Partner) -> None:
    """OpenSSH's sftp -vv lists what the server announced; df (statvfs) works, ln (hardlink) is refused by
    the client itself, as against a server without the extension."""
    account = onss.account()
    result = sftp_batch(onss.endpoint(), account.username, "df\n", key=account.private_key, options=["-vv"])
    assert result.returncode == 0, result.stderr
    announced = re.findall(r'Server supports extension "([^"]+)"', result.stderr)
    assert announced == list(onss.profile.endpoints["sftp"].extensions)  # extensions: in its order
    assert len(announced) == 6 and not {"copy-data", "hardlink@openssh.com"} & set(announced)
    assert "Unrecognised server extension" not in result.stderr  # no vendor-id, newline, ranges, copy-data
    onss.journal.wait_for(kind="fs.statvfs", outcome="ok")

    result = sftp_batch(onss.endpoint(), account.username, "ln OUT/a OUT/b\n", key=account.private_key)
    assert result.returncode != 0
    assert "does not support hardlink@openssh.com" in result.stderr


def test_openssh_renames_with_posix_rename_where_allowed(onss: Partner, request_file: Path) -> None:
    onss.scenarios.off("rename-refused")
    account = onss.account()
    target = f"IN/{request_file.name}"
    commands = f"put {request_file} {target}.filepart\nrename {target}.filepart {target}\n"
    result = sftp_batch(onss.endpoint(), account.username, commands, key=account.private_key)
    assert result.returncode == 0, result.stderr
    renamed = onss.journal.wait_for(kind="fs.rename", outcome="ok")
    assert renamed.detail["posix"] is True
    assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"


def test_an_offered_copy_data_has_the_rights_journal_and_quota_of_a_write(mockpartners: SuiteFactory) -> None:
    extensions = "onss.endpoints.sftp.extensions=[posix-rename@openssh.com, copy-data]"
    onss = mockpartners("onss", settings=[extensions, READ_WRITE_IN, "onss.limits.storage_per_account=1MiB"])[
        "onss"
    ]
    refusal, size = _copy_onto_itself(onss, announced=True)
    assert isinstance(refusal, asyncssh.SFTPFailure) and refusal.code == asyncssh.FX_FAILURE
    assert refusal.reason == "Disk quota exceeded"
    assert size == len(CHUNK)
    write = onss.journal.wait_for(kind="fs.write", outcome="refused")
    assert write.detail["limit"] == "quota" and write.path == "IN/COPY.xml"
    copy = onss.journal.wait_for(kind="fs.copy")
    assert copy.outcome == "refused" and copy.detail["source"] == "IN/COPY.xml"
    incomplete = onss.journal.wait_for(kind="partner.incomplete", path="IN/COPY.xml")
    assert "quota" in incomplete.detail["reason"]

    async def copy_within_quota() -> bytes:
        async with _connect(onss) as connection, connection.start_sftp_client() as sftp:
            async with sftp.open("IN/SOURCE.xml", "w+b") as source, sftp.open("IN/COPY2.xml", "wb") as target:
                await source.write(b"<copy/>\n")
                await sftp.remote_copy(source, target)
            async with sftp.open("IN/COPY2.xml", "rb") as copied:
                return await copied.read()

    assert asyncio.run(copy_within_quota()) == b"<copy/>\n"
    assert onss.journal.wait_for(kind="fs.copy", outcome="ok").path == "IN/COPY2.xml"


def test_an_offered_copy_data_needs_the_read_right_on_its_source(mockpartners: SuiteFactory) -> None:
    """ONSS's IN is write-only: a handle opened there to write cannot be the source of a copy."""
    onss = mockpartners("onss", settings=["onss.endpoints.sftp.extensions=[copy-data]"])["onss"]

    async def copy() -> BaseException:
        async with (
            _connect(onss) as connection,
            connection.start_sftp_client() as sftp,
            sftp.open("IN/A.xml", "wb") as source,
            sftp.open("IN/B.xml", "wb") as target,
        ):
            await source.write(b"<a/>\n")
            with pytest.raises(asyncssh.SFTPError) as refused:
                await sftp.remote_copy(source, target)
            return refused.value

    assert isinstance(asyncio.run(copy()), asyncssh.SFTPPermissionDenied)
    refused = onss.journal.wait_for(kind="fs.copy")
    assert refused.outcome == "refused" and "no read right in IN" in refused.detail["reason"]
