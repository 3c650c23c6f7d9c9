"""The partner's accounts as its profile and state directory give them: what the account book starts from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

from ..infra.credentials import SshCredentials
from ..infra.journal import Journal
from ..infra.state import StateDir
from ..model.errors import StateError
from ..model.loading import Account, Folder, Profile, RemoteFolder, folder_table
from ..ports.accounts import AccountEntry
from ..processors import Processor

__all__ = ["FolderTables", "close_interrupted_sessions", "homes_of_others", "moved_home", "profile_accounts"]


def profile_accounts(profile: Profile, state: StateDir, ssh: SshCredentials | None) -> list[AccountEntry]:
    """The profile's accounts with their credentials: the password (given, or generated once into the
    state directory) and the public keys they accept (the sample key's and the profile's own)."""
    passwords = state.account_passwords(profile)
    keys = ssh.accounts if ssh else {}
    return [
        AccountEntry(
            account,
            passwords.get(account.username),
            keys[account.username].authorized if account.username in keys else (),
        )
        for account in profile.accounts
    ]


def homes_of_others(root: Path, homes: list[Path]) -> list[Path]:
    """Homes beside the profile's accounts' (accounts created while serving): a reset removes them. Links
    are left alone (a reset never follows one)."""
    if not root.is_dir():
        return []
    return [
        entry for entry in root.iterdir() if entry not in homes and entry.is_dir() and not entry.is_symlink()
    ]


def moved_home(old: Path, new: Path) -> None:
    """An account's home under its new login; a folder already there (the home of an account removed
    earlier, kept until a reset) is never overwritten."""
    if new.exists():
        raise StateError(
            f"cannot rename to {new.name!r}: a home of that name is still there (an account removed earlier; "
            "a reset clears it)"
        )
    if old.is_dir():
        old.rename(new)


class FolderTables:
    """The folders of each account's home as they are now (the profile's and the account's remote folders),
    built once per version of an account: the file tree asks at every check."""

    def __init__(self, profile: Profile, entry: Callable[[str], AccountEntry | None]) -> None:
        self.profile = profile
        self._entry = entry
        self._tables: dict[Account, Mapping[str, Folder]] = {}

    def __call__(self, username: str) -> Mapping[str, Folder]:
        entry = self._entry(username)
        if entry is None or not entry.account.remote_folders:
            return self.profile.folders
        table = self._tables.get(entry.account)
        if table is None:
            table = self._tables[entry.account] = MappingProxyType(folder_table(self.profile, entry.account))
        return table

    def remote_folders(self, username: str) -> tuple[RemoteFolder, ...]:
        entry = self._entry(username)
        return entry.account.remote_folders if entry is not None else ()

    def forget(self) -> None:
        """Accounts changed: tables are built again when asked."""
        self._tables.clear()


def close_interrupted_sessions(
    journal: Journal, partner: str, watching: Callable[[str, str], list[Processor]]
) -> None:
    """Sessions a killed server never closed: their open uploads are journalled as incomplete, and the
    processors watching them told so."""
    for session, opened in journal.interrupted_sessions(partner):
        for event in opened:
            closed = journal.record(
                "fs.close",
                protocol=event.protocol,
                session=session,
                account=event.account,
                client=event.client,
                path=event.path,
                mode="write",
                complete=False,
                reason="the server stopped during the upload",
            )
            if event.account and event.path:
                for processor in watching(event.account, event.path):
                    processor.incomplete(event.account, event.path, closed, str(closed.detail["reason"]))
        journal.record("session.disconnect", session=session, reason="the server stopped")
