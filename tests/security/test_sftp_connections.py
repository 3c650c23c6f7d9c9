"""Connections per client address on the SFTP endpoint, like vsftpd's ``max_per_ip`` (issue 9, item 2).

Beyond ``limits.connections_per_address`` the connection is closed before the SSH greeting (as OpenSSH's
MaxStartups does), journalled as ``session.refused``; other addresses still get in; and the slot comes back
however the connection ended: a refused login, a client that vanished, a server restart.
"""

from __future__ import annotations

import asyncio
import io
import socket
import struct

import paramiko
import pytest

from mockpartners import Partner, Query
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import asyncssh_connect, paramiko_sftp, sftp_batch


def _sftp_ls(onss: Partner, *, source: str = "127.0.0.1", wrong_key: bool = False) -> int:
    info = onss.info()
    assert info.wrong_key is not None
    key = info.wrong_key.private_key if wrong_key else onss.account().private_key
    options = ["-o", f"BindAddress={source}"]
    return sftp_batch(onss.endpoint(), "EXP0000001", "ls\n", key=key, options=options).returncode


def _greeting(onss: Partner) -> bytes:
    """What a raw TCP client from 127.0.0.1 reads first: the SSH version line, or nothing."""
    endpoint = onss.endpoint()
    with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as raw:
        try:
            return raw.recv(256)
        except ConnectionResetError:
            return b""


def _ended(onss: Partner, cursor: int) -> None:
    """Wait until the one connection made since ``cursor`` has been journalled as ended."""
    onss.journal.wait_for(Query(kind="session.disconnect", after=cursor))


def _cursor(onss: Partner) -> int:
    return onss.journal.events(limit=1)[0].id


def test_one_address_beyond_the_limit_is_closed_before_the_greeting(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.limits.connections_per_address=2"])["onss"]
    account = onss.account()
    first = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    second = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with second[0], second[1]:
        assert _greeting(onss) == b""  # closed before any byte of the SSH version exchange
        refused = onss.journal.wait_for(kind="session.refused")
        assert "too many connections from 127.0.0.1" in refused.detail["reason"]
        assert "limits.connections_per_address" in refused.detail["reason"]
        assert _sftp_ls(onss) != 0
        assert _sftp_ls(onss, source="127.0.0.2") == 0  # another address still gets in

        first_session = onss.journal.events(kind="session.login")[0].session
        first[0].close()
        onss.journal.wait_for(kind="session.disconnect", session=first_session)
        assert _greeting(onss).startswith(b"SSH-2.0-")  # closing one frees a slot
        assert _sftp_ls(onss) == 0


def test_the_slot_comes_back_however_the_connection_ended(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.limits.connections_per_address=1"])["onss"]

    cursor = _cursor(onss)
    assert _sftp_ls(onss, wrong_key=True) != 0  # a refused login
    _ended(onss, cursor)
    cursor = _cursor(onss)
    assert _sftp_ls(onss) == 0
    _ended(onss, cursor)

    cursor = _cursor(onss)  # a client that vanishes before the key exchange: a TCP reset
    endpoint = onss.endpoint()
    raw = socket.create_connection((endpoint.host, endpoint.port), timeout=10)
    assert raw.recv(256).startswith(b"SSH-2.0-")
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()
    _ended(onss, cursor)

    cursor = _cursor(onss)  # a client that vanishes mid-upload, its SFTP channel and a file still open
    asyncio.run(_vanish_mid_upload(onss))
    _ended(onss, cursor)
    cursor = _cursor(onss)
    assert _sftp_ls(onss) == 0
    _ended(onss, cursor)

    cursor = _cursor(onss)  # a server restart cuts every connection
    onss.scenarios.on("restart-mid-transfer", bytes=65_536)
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, pytest.raises((OSError, EOFError, paramiko.SSHException)):
        sftp.putfo(io.BytesIO(b"x" * 262_144), "IN/RESTART.xml", confirm=False)
    onss.journal.wait_for(kind="endpoint.restart")
    _ended(onss, cursor)
    assert _sftp_ls(onss) == 0
    assert onss.journal.events(kind="session.refused") == []


async def _vanish_mid_upload(onss: Partner) -> None:
    account = onss.account()
    connection = await asyncssh_connect(onss.endpoint(), account.username, [account.private_key])
    sftp = await connection.start_sftp_client()
    remote = await sftp.open("IN/VANISHED.xml", "wb")
    await remote.write(b"<partial>" * 1000)
    connection.abort()
    await connection.wait_closed()
