"""The state directory: generated credentials, the partners' file trees, the journal and endpoints.json.

Credentials are made on first start and reused ever after, so a client that trusted a host key keeps
trusting it. Nothing that exists is deleted or overwritten, except on explicit request (host key rotation,
which keeps the old keys beside the new ones). The directory is its user's only (0700): it holds private
keys, passphrases and PKCS#12 passwords. ``clock.json`` keeps the virtual clock across restarts.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import IO

from ..model.errors import StateError
from ..model.loading import Profile
from .atomic import write_atomically
from .clock import Clock
from .credentials import (
    SshCredentials,
    TlsCredentials,
    account_passwords,
    changed_host_keys,
    renew_server_certificate,
    ssh_credentials,
    tls_credentials,
)
from .ssh_keys import KeyPair

__all__ = ["StateDir"]

DEFAULT_STATE_DIR = Path(".mockpartners")
log = logging.getLogger("mockpartners.infra.state")


class StateDir:
    """One state directory, locked by the process that serves from it."""

    def __init__(self, path: str | Path = DEFAULT_STATE_DIR) -> None:
        self.path = Path(path).expanduser().absolute()
        self._lock_file: IO[str] | None = None
        self._clock_lock = threading.Lock()

    @property
    def journal_path(self) -> Path:
        return self.path / "journal.sqlite3"

    @property
    def admin_token_path(self) -> Path:
        return self.path / "admin-token"

    def write_private(self, path: Path, text: str) -> None:
        """Write a small secret (readable by this user only), replacing any previous one."""
        write_atomically(path, (text + "\n").encode())

    @property
    def endpoints_path(self) -> Path:
        return self.path / "endpoints.json"

    @property
    def clock_path(self) -> Path:
        return self.path / "clock.json"

    def restore_clock(self, clock: Clock) -> None:
        """Set ``clock`` as the last run left it (``clock.json``); without the file it stays as it is."""
        try:
            text = self.clock_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as error:
            raise StateError(f"{self.clock_path}: cannot read the clock's state: {error}") from None
        try:
            saved = json.loads(text)
            if not isinstance(saved, dict) or saved.get("format") != 1:
                raise ValueError("expected the JSON object mockpartners writes (format 1)")
            clock.restore(saved)
        except ValueError as error:
            raise StateError(
                f"{self.clock_path}: not a clock state ({error}); delete it to start the clock at the "
                "journal's newest event (or on the wall clock)"
            ) from None

    def save_clock(self, clock: Clock) -> None:
        """Written whenever the clock changes, so that a restart never takes the virtual time back."""
        with self._clock_lock:  # the newest state wins, whichever thread changed the clock
            data = json.dumps({"format": 1, **clock.saved()}) + "\n"
            write_atomically(self.clock_path, data.encode())

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
        """Create the directory if needed, private, and prove it is usable (a clear error otherwise)."""
        try:
            if self.path.exists() and not self.path.is_dir():
                raise StateError(f"state directory {self.path} exists and is not a directory")
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.mkdir(mode=0o700, exist_ok=True)
                self.path.chmod(0o700)  # mkdir's mode passes through the umask
            self._make_private()
            probe = self.path / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            for entry in self.path.iterdir():
                entry.name  # noqa: B018 - listing proves the directory is readable
        except StateError:
            raise
        except OSError as error:
            raise StateError(f"cannot use state directory {self.path}: {error.strerror or error}") from None

    def belongs_to_another_user(self) -> bool:
        """Whether the directory exists and is someone else's: a folder shared on purpose (a container's
        mounted volume, made by the host's user), whose permissions are that user's to choose."""
        try:
            return self.path.stat().st_uid != os.geteuid()
        except OSError:
            return False

    def _make_private(self) -> None:
        """The directory holds private keys, passphrases and PKCS#12 passwords: this user's only (0700),
        whatever the umask. Someone else's directory is left as it is, and said so."""
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if not mode & 0o077:
            return
        if self.belongs_to_another_user():
            log.warning(
                "state directory %s belongs to another user (uid %d) and is open to others (%04o): "
                "left as it is; make it private (chmod 700) unless it is shared on purpose",
                self.path,
                self.path.stat().st_uid,
                mode,
            )
            return
        self.path.chmod(mode & 0o700)

    def lock(self) -> None:
        """Claim the directory for this process: two servers on one state would corrupt each other."""
        self.prepare()
        lock_path = self.path / "state.lock"
        try:
            handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while serving
        except OSError as error:
            raise StateError(
                f"cannot use state directory {self.path}: {error.strerror} ({lock_path.name})"
            ) from None
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

    def ssh_credentials(self, profile: Profile, *, new_host_keys: bool = False) -> SshCredentials:
        """Host keys, sample account keys and the wrong key of an SSH partner, created when missing."""
        return ssh_credentials(self.credentials_dir(profile.name), profile, new_host_keys=new_host_keys)

    def account_passwords(self, profile: Profile) -> dict[str, str]:
        """The accounts' sample passwords: given in the profile, or generated once and kept here."""
        return account_passwords(self.credentials_dir(profile.name), profile)

    def changed_host_keys(self, profile: Profile) -> tuple[KeyPair, ...]:
        return changed_host_keys(self.credentials_dir(profile.name), profile)

    def tls_credentials(self, profile: Profile) -> TlsCredentials:
        """CA chains, server and client certificates of a TLS partner, created when missing."""
        return tls_credentials(self.credentials_dir(profile.name) / "tls", profile)

    def make_credentials(self, profile: Profile) -> None:
        """Every credential the profile's endpoints need, the scenarios' ones included, made now: a state
        prepared once and copied into fresh ones (the pytest plugin) starts without generating keys."""
        if profile.needs("ssh"):
            self.ssh_credentials(profile)
            self.changed_host_keys(profile)
        if profile.needs("tls"):
            self.tls_credentials(profile).make_scenario_credentials()

    def renew_server_certificate(self, profile: Profile, *, new_issuing_ca: bool = False) -> TlsCredentials:
        """Retire the server certificate (and the issuing CA if asked) and issue new ones, same root."""
        base = self.credentials_dir(profile.name) / "tls"
        return renew_server_certificate(base, profile, new_issuing_ca=new_issuing_ca)

    def copy_credentials_from(self, other: StateDir, partner: str) -> None:
        """Seed this directory with another one's credentials (fast fresh states for tests)."""
        source = other.credentials_dir(partner)
        if source.exists() and not self.credentials_dir(partner).exists():
            shutil.copytree(source, self.credentials_dir(partner))
