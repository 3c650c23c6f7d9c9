"""The ONSS double driven by paramiko, replaying what WinSCP does on the wire (guide section 4)."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import paramiko_sftp


def test_winscp_filepart_upload_then_refused_rename(onss: Partner, request_file: Path) -> None:
    """Guide 4.4: WinSCP uploads to NAME.filepart, its RENAME (request code 18) gets status 3 and the
    .filepart stays in IN, where the partner rejects it for an incorrect file name."""
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.put(str(request_file), f"IN/{request_file.name}.filepart", confirm=False)
        with pytest.raises(PermissionError) as refused:
            sftp.rename(f"IN/{request_file.name}.filepart", f"IN/{request_file.name}")
        assert refused.value.errno == errno.EACCES  # SSH_FX_PERMISSION_DENIED, status 3
        with pytest.raises(PermissionError):
            sftp.posix_rename(f"IN/{request_file.name}.filepart", f"IN/{request_file.name}")
        assert sftp.listdir("IN") == [f"{request_file.name}.filepart"]

    rejection = onss.wait_for_answer(f"IN/{request_file.name}.filepart")
    assert rejection.kind == "partner.reject"
    notice = onss.files(account.username).read(rejection.detail["answer"]).decode()
    assert "incorrect file name" in notice
    assert ".filepart" in notice


def test_winscp_preserve_timestamp_setstat_is_refused_but_file_processed(
    onss: Partner, request_file: Path
) -> None:
    """Guide 4.5: SETSTAT (request code 9) is refused with status 3; the file is processed normally."""
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.put(str(request_file), f"IN/{request_file.name}", confirm=False)
        with pytest.raises(PermissionError):
            sftp.utime(f"IN/{request_file.name}", (1_700_000_000, 1_700_000_000))
        with pytest.raises(PermissionError):
            sftp.chmod(f"IN/{request_file.name}", 0o600)
    setstats = onss.journal.events(kind="fs.setstat", partner="onss")
    assert [event.outcome for event in setstats] == ["refused", "refused"]
    assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"


def test_server_refused_our_key(onss: Partner) -> None:
    """Guide 4.3.2: wrong key, wrong user name, or a key registered for another account."""
    wrong = onss.info().wrong_key
    assert wrong is not None
    cases = [
        ("EXP0000001", wrong.private_key, "not registered"),
        ("EXP9999999", onss.account("EXP0000001").private_key, "unknown account"),
        ("UM0000002", onss.account("EXP0000001").private_key, "not registered"),
        ("admin", onss.account("EXP0000001").private_key, "does not match"),
    ]
    for username, key, reason in cases:
        with pytest.raises(paramiko.AuthenticationException):
            paramiko_sftp(onss.endpoint(), username, key=key)
        refused = onss.journal.wait_for(kind="auth.attempt", outcome="refused", account=username)
        assert reason in refused.detail["reason"], (username, refused.detail)


@pytest.mark.parametrize("username", ["EXP0000001", "UM0000002"])
def test_passwords_are_offered_but_never_accepted(onss: Partner, username: str) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(onss.endpoint(), username, password="secret")

    transport = paramiko.Transport((onss.endpoint().host, onss.endpoint().port))
    prompts: list[str] = []

    def answer(title: str, instructions: str, fields: list[tuple[str, bool]]) -> list[str]:
        prompts.extend(prompt for prompt, _ in fields)
        return ["secret" for _ in fields]

    with transport:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_interactive(username, answer)
    assert prompts == ["Password: "]
    methods = [event.detail["method"] for event in onss.journal.events(kind="auth.attempt", account=username)]
    assert methods == ["password", "keyboard-interactive"]
    assert all(event.outcome == "refused" for event in onss.journal.events(kind="auth.attempt"))


def test_taken_files_leave_the_inbox_after_the_pickup_delay(
    mockpartners: SuiteFactory, request_file: Path
) -> None:
    """With a realistic delay the file waits in IN, then the partner takes it away (after_pickup: remove)."""
    onss = mockpartners("onss", settings=["onss.pickup.delay=10m", "onss.pickup.after_pickup=remove"])["onss"]
    onss.clock.freeze()
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        attributes = sftp.put(str(request_file), f"IN/{request_file.name}")  # confirm=True works
        assert attributes.st_size == request_file.stat().st_size
    assert onss.scheduler.pending() == 1
    assert onss.journal.events(kind="partner.answer") == []

    onss.clock.advance("10m")
    answer = onss.wait_for_answer(f"IN/{request_file.name}")
    assert onss.files(account.username).list("IN") == []
    assert answer.time - onss.journal.wait_for(kind="fs.close").time >= timedelta(minutes=10)


def test_sshclient_with_a_wrong_key_then_the_right_one_logs_in(onss: Partner) -> None:
    """Guide 4.3.2: the right key works after a refusal. paramiko sends a new SERVICE_REQUEST ssh-userauth
    before each attempt, which OpenSSH's sshd accepts (asyncssh alone refused it: "Invalid key")."""
    info, account, endpoint = onss.info(), onss.account(), onss.endpoint()
    assert info.wrong_key is not None and endpoint.known_hosts_file is not None
    client = paramiko.SSHClient()
    client.load_host_keys(endpoint.known_hosts_file)
    with client:
        client.connect(
            endpoint.host,
            endpoint.port,
            username=account.username,
            key_filename=[str(info.wrong_key.private_key), str(account.private_key)],
            look_for_keys=False,
            allow_agent=False,
        )
        with client.open_sftp() as sftp:
            assert "IN" in sftp.listdir(".")
    attempts = onss.journal.events(kind="auth.attempt", account=account.username)
    assert [event.outcome for event in attempts] == ["refused", "ok"]
    assert "not registered" in attempts[0].detail["reason"]
    assert onss.journal.wait_for(kind="session.login").session == attempts[1].session == attempts[0].session
