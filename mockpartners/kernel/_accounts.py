"""The partner's accounts as its profile and state directory give them: what the account book starts from."""

from __future__ import annotations

from pathlib import Path

from ..infra.credentials import SshCredentials
from ..infra.state import StateDir
from ..model.errors import StateError
from ..model.loading import Profile
from ..ports.accounts import AccountEntry

__all__ = ["homes_of_others", "moved_home", "profile_accounts"]


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
