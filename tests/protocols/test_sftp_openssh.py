"""The ONSS double driven by OpenSSH's own sftp client, as a shell script or a scheduler would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import Askpass, require, sftp_batch


def test_upload_with_the_right_key_is_acknowledged(onss: Partner, request_file: Path) -> None:
    account = onss.account("EXP0000001")
    result = sftp_batch(
        onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
    )
    assert result.returncode == 0, result.stderr

    answer = onss.wait_for_answer(f"IN/{request_file.name}")
    assert answer.kind == "partner.answer"
    assert answer.detail["answer"] == f"OUT/{request_file.name}.ACK"
    acknowledgement = onss.files(account.username).read(answer.detail["answer"]).decode()
    assert "status: ACCEPTED" in acknowledgement
    assert f"file: {request_file.name}" in acknowledgement

    login = onss.journal.wait_for(kind="auth.attempt", partner="onss", outcome="ok")
    assert login.detail["method"] == "publickey"
    assert login.detail["fingerprint"] == account.key.fingerprint_sha256  # type: ignore[union-attr]
    closed = onss.journal.wait_for(kind="fs.close", path=f"IN/{request_file.name}")
    assert closed.detail["bytes_written"] == request_file.stat().st_size
    assert closed.detail["complete"] is True
    pickup = onss.journal.wait_for(kind="partner.pickup", path=f"IN/{request_file.name}")
    assert pickup.ref == closed.id
    assert pickup.detail["kept"] is True


@pytest.mark.parametrize(
    ("inbox", "answers"), [("IN", "OUT"), ("INTEST", "OUTTEST"), ("INTEST-S", "OUTTEST-S")]
)
def test_each_upload_folder_answers_in_its_own_folder(
    onss: Partner, request_file: Path, inbox: str, answers: str
) -> None:
    account = onss.account()
    result = sftp_batch(
        onss.endpoint(), account.username, f"put {request_file} {inbox}/\n", key=account.private_key
    )
    assert result.returncode == 0, result.stderr
    answer = onss.wait_for_answer(f"{inbox}/{request_file.name}")
    assert answer.detail["answer"] == f"{answers}/{request_file.name}.ACK"


def test_answer_is_downloaded_then_deleted(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    account = onss.account()
    sftp_batch(onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key)
    answer = onss.wait_for_answer(f"IN/{request_file.name}").detail["answer"]

    local = tmp_path / "answer.ack"
    result = sftp_batch(
        onss.endpoint(), account.username, f"get {answer} {local}\nrm {answer}\n", key=account.private_key
    )
    assert result.returncode == 0, result.stderr
    assert "status: ACCEPTED" in local.read_text()
    assert onss.files(account.username).list("OUT") == []
    removed = onss.journal.wait_for(kind="fs.remove", path=answer)
    assert removed.outcome == "ok"


def test_host_key_is_rsa_4096_signed_for_current_and_old_clients(onss: Partner, request_file: Path) -> None:
    endpoint = onss.endpoint()
    (host_key,) = endpoint.host_keys
    assert (host_key.algorithm, host_key.bits) == ("ssh-rsa", 4096)
    listing = subprocess.run(
        [require("ssh-keygen"), "-l", "-E", "md5", "-f", host_key.public_key_file],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listing.startswith("4096 " + host_key.md5)

    account = onss.account()
    for algorithm in ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"):
        result = sftp_batch(
            endpoint,
            account.username,
            "ls\n",
            key=account.private_key,
            options=["-o", f"HostKeyAlgorithms={algorithm}"],
        )
        assert result.returncode == 0, f"{algorithm}: {result.stderr}"


def test_wrong_key_is_refused(onss: Partner) -> None:
    wrong_key = onss.info().wrong_key
    assert wrong_key is not None
    result = sftp_batch(onss.endpoint(), "EXP0000001", "ls\n", key=wrong_key.private_key)
    assert result.returncode != 0
    assert "Permission denied (publickey,keyboard-interactive,password)" in result.stderr
    refused = onss.journal.wait_for(kind="auth.attempt", outcome="refused")
    assert refused.detail["fingerprint"] == wrong_key.fingerprint_sha256
    assert "Server refused our key" in refused.detail["reason"]


def test_login_without_a_key_meets_a_password_prompt_that_never_succeeds(
    onss: Partner, tmp_path: Path
) -> None:
    """Guide 4.3.3: no private key loaded, so the server asks for a password; no password ever works."""
    askpass = Askpass.create(tmp_path, "any-password")
    result = sftp_batch(
        onss.endpoint(), "EXP0000001", "ls\n", askpass=askpass, options=["-o", "NumberOfPasswordPrompts=1"]
    )
    assert result.returncode != 0
    assert any("password" in prompt.lower() for prompt in askpass.prompts), askpass.prompts
    attempts = onss.journal.events(kind="auth.attempt", partner="onss")
    assert attempts and all(event.outcome == "refused" for event in attempts)
    assert {event.detail["method"] for event in attempts} <= {"password", "keyboard-interactive"}


def test_refused_key_then_password_prompt(onss: Partner, tmp_path: Path) -> None:
    """Guide 4.3.2: the key is refused ("Server refused our key"), then the password prompt appears."""
    wrong_key = onss.info().wrong_key
    assert wrong_key is not None
    askpass = Askpass.create(tmp_path, "any-password")
    result = sftp_batch(
        onss.endpoint(),
        "EXP0000001",
        "ls\n",
        key=wrong_key.private_key,
        askpass=askpass,
        options=["-v", "-o", "NumberOfPasswordPrompts=1"],
    )
    assert result.returncode != 0
    offered = result.stderr.index("Offering public key")
    assert (
        "Authentications that can continue: publickey,keyboard-interactive,password"
        in result.stderr[offered:]
    )
    assert any("password" in prompt.lower() for prompt in askpass.prompts), askpass.prompts


def test_passphrase_protected_key_logs_in(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    """Guide 4.3.1: the client asks for the key's passphrase (never the server), then logs in."""
    account = onss.account(passphrase=True)
    assert account.passphrase
    askpass = Askpass.create(tmp_path, account.passphrase)
    result = sftp_batch(
        onss.endpoint(),
        account.username,
        f"put {request_file} IN/\n",
        key=account.private_key,
        askpass=askpass,
    )
    assert result.returncode == 0, result.stderr
    assert any("passphrase" in prompt.lower() for prompt in askpass.prompts), askpass.prompts
    assert onss.wait_for_answer(f"IN/{request_file.name}", account=account.username).kind == "partner.answer"


def test_rename_in_an_upload_folder_is_refused_and_the_part_file_is_rejected(
    onss: Partner, request_file: Path
) -> None:
    """Guide 4.4: WinSCP's ".filepart" upload, then the refused RENAME (request code 18)."""
    account = onss.account()
    name = request_file.name
    result = sftp_batch(
        onss.endpoint(),
        account.username,
        f"put {request_file} IN/{name}.filepart\nrename IN/{name}.filepart IN/{name}\n",
        key=account.private_key,
    )
    assert result.returncode != 0
    assert "Permission denied" in result.stderr
    rename = onss.journal.wait_for(kind="fs.rename", path=f"IN/{name}.filepart")
    assert rename.outcome == "refused"

    rejection = onss.wait_for_answer(f"IN/{name}.filepart")
    assert rejection.kind == "partner.reject"
    assert "incorrect file name" in rejection.detail["reason"]
    notice = onss.files(account.username).read(rejection.detail["answer"]).decode()
    assert "REJECTED" in notice and "incorrect file name" in notice
    assert onss.files(account.username).list("IN") == [f"{name}.filepart"]


def test_preserving_the_timestamp_is_refused_but_the_file_is_processed(
    onss: Partner, request_file: Path
) -> None:
    """Guide 4.5: SETSTAT refused (request code 9), "les fichiers seront traités normalement"."""
    account = onss.account()
    result = sftp_batch(
        onss.endpoint(), account.username, f"put -p {request_file} IN/\n", key=account.private_key
    )
    assert "Permission denied" in result.stderr
    setstat = onss.journal.wait_for(kind="fs.setstat", path=f"IN/{request_file.name}")
    assert setstat.outcome == "refused"
    assert "mtime" in setstat.detail
    assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("mkdir NEW", "fs.mkdir"),
        ("mkdir IN/sub", "fs.mkdir"),
        ("put {file} OUT/", "fs.open"),
        ("put {file} /", "fs.open"),
        ("rmdir OUT", "fs.rmdir"),
        ("rename OUT OUT2", "fs.rename"),
    ],
)
def test_refused_operations(onss: Partner, request_file: Path, command: str, kind: str) -> None:
    account = onss.account()
    result = sftp_batch(
        onss.endpoint(), account.username, command.format(file=request_file) + "\n", key=account.private_key
    )
    assert result.returncode != 0
    assert "Permission denied" in result.stderr
    assert onss.journal.wait_for(kind=kind, outcome="refused").outcome == "refused"


def test_home_lists_the_six_channel_folders(onss: Partner) -> None:
    account = onss.account()
    result = sftp_batch(onss.endpoint(), account.username, "ls -1\n", key=account.private_key)
    assert result.returncode == 0, result.stderr
    listed = [line.strip() for line in result.stdout.splitlines() if not line.startswith("sftp>")]
    assert sorted(listed) == ["IN", "INTEST", "INTEST-S", "OUT", "OUTTEST", "OUTTEST-S"]


def test_hostile_paths_never_leave_the_home(onss: Partner, tmp_path: Path) -> None:
    account = onss.account()
    home = Path(account.home)
    (home / "OUT" / "escape").symlink_to("/etc")
    commands = "cd ../../../..\npwd\nls -1\n"
    result = sftp_batch(onss.endpoint(), account.username, commands, key=account.private_key)
    assert result.returncode == 0, result.stderr
    assert "Remote working directory: /" in result.stdout
    assert "INTEST-S" in result.stdout

    for path in ("/etc/passwd", "../../../../etc/passwd", "OUT/escape/passwd"):
        result = sftp_batch(
            onss.endpoint(), account.username, f"get {path} {tmp_path}/stolen\n", key=account.private_key
        )
        assert result.returncode != 0, path
        assert not (tmp_path / "stolen").exists(), path
