"""The state directory: generated credentials, the partners' file trees, the journal and endpoints.json.

Credentials are made on first start and reused ever after, so a client that trusted a host key keeps
trusting it. Nothing that exists is deleted or overwritten, except on explicit request (host key rotation,
which keeps the old keys beside the new ones).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import asyncssh

from .config import Profile
from .errors import StateError
from .pki import KeyPair, key_file_name, load_or_create_key_pair

__all__ = ["AccountCredentials", "PartnerCredentials", "StateDir"]

DEFAULT_STATE_DIR = Path(".mockpartners")


@dataclass(frozen=True)
class AccountCredentials:
    username: str
    key: KeyPair | None
    authorized: tuple[str, ...]
    """OpenSSH public key lines this account accepts (its sample key and the profile's own)."""


@dataclass(frozen=True)
class PartnerCredentials:
    host_keys: tuple[KeyPair, ...]
    accounts: dict[str, AccountCredentials]
    wrong_key: KeyPair | None


class StateDir:
    """One state directory, locked by the process that serves from it."""

    def __init__(self, path: str | Path = DEFAULT_STATE_DIR) -> None:
        self.path = Path(path).expanduser().absolute()
        self._lock_file: IO[str] | None = None

    @property
    def journal_path(self) -> Path:
        return self.path / "journal.sqlite3"

    @property
    def endpoints_path(self) -> Path:
        return self.path / "endpoints.json"

    def partner_dir(self, partner: str) -> Path:
        return self.path / partner

    def homes(self, partner: str) -> Path:
        return self.partner_dir(partner) / "homes"

    def spool(self, partner: str) -> Path:
        """Where the partner keeps what it took from the inboxes: outside every home."""
        return self.partner_dir(partner) / "spool"

    def credentials_dir(self, partner: str) -> Path:
        return self.partner_dir(partner) / "credentials"

    def prepare(self) -> None:
        """Create the directory if needed and prove it is usable (a clear error otherwise)."""
        try:
            if self.path.exists() and not self.path.is_dir():
                raise StateError(f"state directory {self.path} exists and is not a directory")
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            for entry in self.path.iterdir():
                entry.name  # noqa: B018 - listing proves the directory is readable
        except StateError:
            raise
        except OSError as error:
            raise StateError(f"cannot use state directory {self.path}: {error.strerror or error}") from None

    def lock(self) -> None:
        """Claim the directory for this process: two servers on one state would corrupt each other."""
        self.prepare()
        lock_path = self.path / "state.lock"
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while serving
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise StateError(
                f"state directory {self.path} is in use by {owner}; stop it, or pass another --state-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"mockpartners pid {os.getpid()}\n")
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def ssh_credentials(self, profile: Profile, *, new_host_keys: bool = False) -> PartnerCredentials:
        """Host keys, sample account keys and the wrong key of an SSH partner, created when missing."""
        base = self.credentials_dir(profile.name)
        key_types = list(
            dict.fromkeys(key for endpoint in profile.endpoints.values() for key in endpoint.host_keys)
        )
        if new_host_keys:
            self._retire_host_keys(base / "host")
        host_keys = tuple(
            load_or_create_key_pair(base / "host" / key_file_name(key_type, host=True), key_type)
            for key_type in key_types
        )
        accounts = {}
        for account in profile.accounts:
            pair = None
            if account.sample_key:
                folder = base / "accounts" / account.username
                pair = load_or_create_key_pair(
                    folder / key_file_name(account.sample_key),
                    account.sample_key,
                    passphrase_file=folder / "passphrase" if account.passphrase else None,
                    private=False,
                )
            authorized = ([pair.public_line] if pair else []) + [
                _public_key_line(k) for k in account.authorized_keys
            ]
            accounts[account.username] = AccountCredentials(account.username, pair, tuple(authorized))
        wrong = None
        if profile.wrong_key:
            wrong = load_or_create_key_pair(
                base / "wrong" / key_file_name(profile.wrong_key), profile.wrong_key, private=False
            )
        return PartnerCredentials(host_keys, accounts, wrong)

    def _retire_host_keys(self, folder: Path) -> None:
        if not folder.exists():
            return
        retired = folder / f"retired-{time.strftime('%Y%m%dT%H%M%S')}"
        retired.mkdir(parents=True, exist_ok=True)
        for entry in folder.iterdir():
            if entry.is_file():
                shutil.move(entry, retired / entry.name)

    def copy_credentials_from(self, other: StateDir, partner: str) -> None:
        """Seed this directory with another one's credentials (fast fresh states for tests)."""
        source = other.credentials_dir(partner)
        if source.exists() and not self.credentials_dir(partner).exists():
            shutil.copytree(source, self.credentials_dir(partner))


def _public_key_line(value: str) -> str:
    """An authorized key given in a profile: an OpenSSH public key line, or the path of a .pub file."""
    text = value.strip()
    if not text.startswith(("ssh-", "ecdsa-", "sk-")):
        try:
            text = Path(text).expanduser().read_text(encoding="utf-8").strip()
        except OSError as error:
            raise StateError(
                f"authorized key {value!r}: neither a public key line nor a readable file ({error.strerror})"
            ) from None
    try:
        asyncssh.import_public_key(text)
    except (asyncssh.KeyImportError, ValueError) as error:
        raise StateError(f"authorized key {value[:60]!r}: not an OpenSSH public key ({error})") from None
    return text
