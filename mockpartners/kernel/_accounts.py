"""The partner's accounts as its profile and state directory give them: what the account book starts from."""

from __future__ import annotations

from pathlib import Path

from ..infra.credentials import SshCredentials
from ..infra.state import StateDir
from ..model.loading import Profile
from ..ports.accounts import AccountEntry

__all__ = ["homes_of_others", "profile_accounts"]


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
