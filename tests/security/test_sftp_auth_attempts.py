"""Authentication attempts per SSH connection, as OpenSSH's MaxAuthTries (issue 9, item 10).

One connection used to try 200 keys. At its ``limits.auth_attempts``-th refusal (6) a connection is cut as
sshd cuts it: SSH disconnect reason 2 (protocol error), "Too many authentication failures", journalled as
``session.refused``. A client that offers a few wrong keys before the right one still logs in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh
import pytest

from mockpartners import Partner
from tests.clients import asyncssh_connect, sftp_batch


def _wrong_keys(folder: Path, count: int) -> list[Path]:
    """Keys that no account accepts, as files OpenSSH takes (mode 0600)."""
    folder.mkdir(exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"wrong{number}"
        asyncssh.generate_private_key("ssh-ed25519").write_private_key(path)
        path.chmod(0o600)
        paths.append(path)
    return paths


def _openssh_with(onss: Partner, wrong: list[Path]) -> tuple[int, str]:
    """OpenSSH's sftp offering the ``wrong`` keys in turn, then the account's own."""
    options = [argument for path in wrong for argument in ("-i", str(path))]
    account = onss.account()
    result = sftp_batch(onss.endpoint(), account.username, "ls\n", key=account.private_key, options=options)
    return result.returncode, result.stderr


def test_openssh_with_wrong_keys_before_the_right_one(onss: Partner, tmp_path: Path) -> None:
    wrong = _wrong_keys(tmp_path / "keys", 6)
    assert _openssh_with(onss, wrong[:1])[0] == 0  # ssh -i wrong -i right
    assert _openssh_with(onss, wrong[:5])[0] == 0  # five refusals and the right key: still in

    returncode, stderr = _openssh_with(onss, wrong)  # the sixth refusal ends the connection
    assert returncode != 0
    assert ":2: Too many authentication failures" in stderr, stderr  # "Received disconnect from ...:2: ..."
    cut = onss.journal.wait_for(kind="session.refused")
    assert "limits.auth_attempts" in cut.detail["reason"] and cut.detail["attempts"] == 6
    disconnect = onss.journal.wait_for(kind="session.disconnect", session=cut.session)
    assert disconnect.detail["reason"] == "Too many authentication failures"
    assert len(onss.journal.events(kind="auth.attempt", session=cut.session, outcome="refused")) == 6
    assert onss.journal.events(kind="session.login", session=cut.session) == []


def test_a_connection_trying_200_keys_is_cut_after_6(onss: Partner) -> None:
    keys = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(199)]
    keys.append(asyncssh.read_private_key(onss.account().private_key))  # the right one, never reached

    async def try_them() -> None:
        await asyncssh_connect(onss.endpoint(), onss.account().username, keys)

    with pytest.raises(asyncssh.DisconnectError) as cut:
        asyncio.run(try_them())
    assert (cut.value.code, cut.value.reason) == (
        asyncssh.DISC_PROTOCOL_ERROR,
        "Too many authentication failures",
    )
    refused = onss.journal.wait_for(kind="session.refused")
    assert len(onss.journal.events(kind="auth.attempt", session=refused.session)) == 6
