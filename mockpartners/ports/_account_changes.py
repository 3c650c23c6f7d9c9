"""Changing a partner's accounts while it serves: create, change, rename, remove, and edit remote folders.

Each change is checked as a profile's account is (:mod:`._account_entry`), applied to the next login on every
protocol, journalled (``account.created``, ``account.changed``, ``account.renamed``, ``account.removed``)
and told to the partner (its homes, endpoints.json). The account book (:mod:`.accounts`) is built on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..infra.journal import Journal
from ..model._schema import CustomerServer, Profile, RemoteFolder
from ..model._types import AccountAuth
from ..model.errors import StateError, UnknownAccountError
from . import _remote_folder_edits as edits
from ._account_entry import KEEP, AccountEntry, AccountError, Keep, changed_entry, new_entry

__all__ = ["AccountChanges"]


class AccountChanges:
    """The changing half of :class:`~.accounts.AccountBook` (a mixin: it works on the book's state, and
    the book gives the lookups below)."""

    partner: str
    profile: Profile
    journal: Journal
    _lock: threading.Lock
    _entries: dict[str, AccountEntry]
    _prepare: Callable[[AccountEntry], None]
    _changed: Callable[[], None]
    _moved: Callable[[str, str], None]

    def entry(self, username: str) -> AccountEntry:
        raise NotImplementedError

    def usernames(self) -> list[str]:
        raise NotImplementedError

    def live_sessions(self, username: str) -> int:
        raise NotImplementedError

    def _unknown(self, username: str, known: Iterable[str]) -> UnknownAccountError:
        raise NotImplementedError

    def _cut(self, username: str, reason: str) -> None:
        raise NotImplementedError

    def __contains__(self, username: object) -> bool:
        raise NotImplementedError

    def create(
        self,
        username: str,
        *,
        password: str | bool | None = None,
        public_keys: Sequence[str] = (),
        certificate: bool = False,
        endpoints: Sequence[str] | None = None,
        ip_allowlist: Sequence[str] | None = None,
        auth: Sequence[AccountAuth] | None = None,
        description: str = "",
        name: str = "",
        preset: str | None = None,
        remote_folders: Sequence[RemoteFolder | Mapping[str, Any]] = (),
        server: CustomerServer | Mapping[str, Any] | None = None,
    ) -> AccountEntry:
        """A new account, usable at once; ``password=True`` generates a password (read it from the result).
        Checked as a profile's account: a change that could not be declared raises :class:`AccountError`.
        A ``preset`` (the profile's ``presets``) gives the fields not given here."""
        given = _fields(
            endpoints=endpoints,
            ip_allowlist=ip_allowlist,
            auth=auth,
            description=description,
            name=name,
            preset=preset,
            remote_folders=remote_folders,
            server=server,
        )
        fields = {key: value for key, value in given.items() if value not in (None, "", ())}
        fields["certificate"] = certificate
        entry = new_entry(self.profile, username, password=password, public_keys=public_keys, fields=fields)
        if username in self:
            raise StateError(f"{self.partner} already has an account {username!r}: change it instead")
        self._prepare(entry)
        with self._lock:
            if username in self._entries:
                raise StateError(f"{self.partner} already has an account {username!r}: change it instead")
            self._entries[username] = entry
        self._record("account.created", entry, credentials=_credentials(entry))
        self._changed()
        return entry

    def change(
        self,
        username: str,
        *,
        password: str | bool | Keep | None = KEEP,
        public_keys: Sequence[str] | Keep = KEEP,
        endpoints: Sequence[str] | Keep | None = KEEP,
        ip_allowlist: Sequence[str] | Keep | None = KEEP,
        auth: Sequence[AccountAuth] | Keep | None = KEEP,
        description: str | Keep = KEEP,
        name: str | Keep = KEEP,
        remote_folders: Sequence[RemoteFolder | Mapping[str, Any]] | Keep = KEEP,
        server: CustomerServer | Mapping[str, Any] | Keep | None = KEEP,
        cut_sessions: bool = False,
    ) -> AccountEntry:
        """Change what is given (``None`` means: no password, every endpoint, any address, the methods its
        credentials allow); ``password=True`` generates a new one. New logins see the change at once; live
        sessions go on unless ``cut_sessions``."""
        fields = _fields(
            endpoints=endpoints,
            ip_allowlist=ip_allowlist,
            auth=auth,
            description=description,
            name=name,
            remote_folders=remote_folders,
            server=server,
        )
        secrets = {"password": password, "public_keys": public_keys}
        names = [*fields, *(name for name, value in secrets.items() if not isinstance(value, Keep))]
        if not names:
            raise AccountError(f"nothing to change in account {username!r}: give at least one field")
        with self._lock:
            before = self._entries.get(username)
            if before is None:
                raise self._unknown(username, self._entries)
            entry = changed_entry(
                self.profile, before, password=password, public_keys=public_keys, fields=fields
            )
            self._entries[username] = entry
        self._prepare(entry)  # new remote folders exist before the next listing
        self._record("account.changed", entry, changed=sorted(names), cut_sessions=cut_sessions)
        if cut_sessions:
            self._cut(username, f"account {username!r} changed ({', '.join(sorted(names))})")
        self._changed()
        return entry

    def add_remote_folder(self, username: str, folder: RemoteFolder | Mapping[str, Any]) -> AccountEntry:
        """Lucca's "Editer les dossiers distants": a new remote folder (name, path, use), created at once."""
        return self.change(
            username, remote_folders=edits.added(self.entry(username).account.remote_folders, folder)
        )

    def change_remote_folder(self, username: str, folder: str, **fields: Any) -> AccountEntry:
        """A remote folder (by name or path) with a new ``name``, ``path`` or ``use``; its old path keeps
        its files."""
        folders = self.entry(username).account.remote_folders
        return self.change(username, remote_folders=edits.changed(folders, folder, fields))

    def remove_remote_folder(self, username: str, folder: str) -> AccountEntry:
        """The account no longer has this remote folder (by name or path); its files stay on the server."""
        folders = self.entry(username).account.remote_folders
        return self.change(username, remote_folders=edits.removed(folders, folder))

    def rename(self, username: str, new_username: str) -> AccountEntry:
        """Lucca's "Editer le compte": a new login for the account, its home, files and credentials moved
        with it. Its live sessions end (their home moved away); the old login is refused at once."""
        with self._lock:
            before = self._entries.get(username)
            if before is None:
                raise self._unknown(username, self._entries)
            if before.account.certificate:
                raise AccountError(
                    f"cannot rename account {username!r}: its login is its client certificate's CN; "
                    "create a new account instead"
                )
            if new_username in self._entries:
                raise StateError(f"{self.partner} already has an account {new_username!r}")
            fields = {"username": new_username}
            entry = changed_entry(self.profile, before, password=KEEP, public_keys=KEEP, fields=fields)
            del self._entries[username]  # the old login is refused from now on
        self._cut(username, f"account {username!r} renamed {new_username!r}")
        try:
            self._moved(username, new_username)
        except Exception:
            with self._lock:
                self._entries[username] = before
            raise
        with self._lock:
            self._entries[new_username] = entry
        self._record("account.renamed", entry, previous=username)
        self._changed()
        return entry

    def remove(self, username: str, *, cut_sessions: bool = False) -> AccountEntry:
        """The account can no longer log in (its home stays, until a reset); live sessions go on unless
        ``cut_sessions``."""
        with self._lock:
            entry = self._entries.pop(username, None)
        if entry is None:
            raise self._unknown(username, self.usernames())
        self._record("account.removed", entry, cut_sessions=cut_sessions)
        if cut_sessions:
            self._cut(username, f"account {username!r} removed")
        self._changed()
        return entry

    def _record(self, kind: str, entry: AccountEntry, **detail: Any) -> None:
        sessions = self.live_sessions(entry.username)
        self.journal.record(
            kind,
            account=entry.username,
            endpoints=list(entry.endpoints(self.profile)),
            auth=list(entry.methods),
            ip_allowlist=entry.account.ip_allowlist,
            live_sessions=sessions,
            **detail,
        )


def _fields(**fields: Any) -> dict[str, Any]:
    """The profile fields given (``KEEP`` left out), lists as tuples."""
    return {
        name: tuple(value) if isinstance(value, list | tuple) else value
        for name, value in fields.items()
        if not isinstance(value, Keep)
    }


def _credentials(entry: AccountEntry) -> list[str]:
    """The credentials an account was created with (never their values)."""
    held = {
        "password": entry.password is not None,
        "public_keys": bool(entry.public_keys),
        "certificate": entry.account.certificate,
    }
    return [name for name, present in held.items() if present]
