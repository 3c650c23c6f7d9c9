"""Secrets on disk: ``mockpartners up`` keeps its state directory to its user whatever the umask it was
started with (under 000 the tree was world-writable; under 022 endpoints.json, with every passphrase and
PKCS#12 password, was world-readable)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockpartners import Suite
from mockpartners.infra.state import StateDir
from tests.running import COMMAND, NO_TOKEN

SECRETS = {"endpoints.json", "admin-token", "passphrase", "p12-password", "key.pem", "ca.key", "cert.p12"}
SECRETS |= {"legacy.p12", "id_rsa", "id_ed25519", "ssh_host_rsa_key"}


@contextmanager
def _up(state: Path, umask: int, *partners: str) -> Iterator[subprocess.Popen[str]]:
    """``mockpartners up`` started with ``umask``, its admin API guarded by a token (a file it writes)."""
    process = subprocess.Popen(
        [*COMMAND, "up", *partners, "--ports", "ephemeral", "--quiet", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        umask=umask,
        env={**NO_TOKEN, "MOCKPARTNERS_ADMIN_TOKEN": "secret-token"},
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()  # printed once everything listens
        assert line.startswith("mockpartners: serving"), line + process.communicate()[1]
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _assert_private_tree(state: Path) -> None:
    """Nothing under ``state`` writable by others; every secret readable by its user only."""
    tree = [state, *state.rglob("*")]
    assert not [f"{path} {_mode(path):04o}" for path in tree if _mode(path) & 0o022]
    secrets = [path for path in tree if path.name in SECRETS]
    assert {path.name for path in secrets} == SECRETS
    assert not [f"{path} {_mode(path):04o}" for path in secrets if _mode(path) & 0o077]


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_up_keeps_a_new_state_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    state = tmp_path / "made" / "state"  # nothing there: up makes the credentials too
    with _up(state, umask, "onss", "magda"):
        assert _mode(state) == 0o700
        _assert_private_tree(state)
    _assert_private_tree(state)
    assert _mode(state) == 0o700


def test_an_existing_state_of_ours_open_to_others_is_made_private(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    state = tmp_path / "state"
    StateDir(state).copy_credentials_from(StateDir(mockpartners_credentials), "onss")
    state.chmod(0o777)
    with _up(state, 0o022, "onss"):
        assert _mode(state) == 0o700


def test_a_library_start_makes_the_state_dir_private_but_leaves_the_umask(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    """In-process (the pytest fixtures, scripts) the directory is private too; the host's umask is its own."""
    umask = os.umask(0o022)
    os.umask(umask)
    fresh, opened = tmp_path / "fresh", tmp_path / "opened"
    opened.mkdir(mode=0o777)
    opened.chmod(0o777)
    for state in (fresh, opened):
        with Suite(["onss"], state_dir=state, ports="ephemeral", credentials_from=mockpartners_credentials):
            assert _mode(state) == 0o700
    assert os.umask(umask) == umask


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_state_dir_of_another_user_is_left_as_it_is_and_said_so(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    """A container's mounted volume belongs to the host's user, who reads the credentials: its permissions
    are theirs to choose. What up writes there is readable by others, never writable."""
    state = tmp_path / "state"
    StateDir(state).copy_credentials_from(StateDir(mockpartners_credentials), "onss")
    os.chown(state, 12345, 12345)
    state.chmod(0o777)
    with _up(state, 0o000, "onss") as process:
        assert _mode(state) == 0o777
        created = [state / "journal.sqlite3", state / "onss" / "homes", state / "endpoints.json"]
        assert not [f"{path} {_mode(path):04o}" for path in created if _mode(path) & 0o022]
        assert _mode(state / "endpoints.json") == 0o600
    assert process.stderr is not None
    assert (
        f"state directory {state} belongs to another user (uid 12345) and is open to others (0777): left as "
        "it is; make it private (chmod 700) unless it is shared on purpose"
    ) in process.stderr.read()
