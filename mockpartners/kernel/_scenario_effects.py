"""What Lucca's account scenarios do to the partner itself when they are switched (Lucca's help page
"SFTP/FTPS": "Compte", "Dossier distant", "Mettre à jour un serveur SFTP/FTPS existant").

- ``password-refused`` and ``connection-type-refused`` change nothing: the account book asks them at each
  login (``scenarios/_logins.py``); switching them on checks only that the account and the connection type
  they name exist, so a typo is one clear error instead of a scenario that never bites.
- ``account-edited`` edits the account through the account book, as Lucca's "Editer le compte" does (a new
  password, connection types taken away): new logins see it at once, endpoints.json follows, the book
  journals ``account.changed``. Live sessions go on unless ``cut_sessions``: SSH and FTP servers check
  credentials at login only. Switched off, the account gets back what the edit took, unless it was changed
  again since.
- ``remote-folder-missing`` takes remote folders off the server, kept aside (:class:`HeldFolders`), and
  brings them back with their files when switched off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model._remote_folders import FOLDER_USES
from ..model.errors import UnknownAccountError, UsageError
from ..model.loading import RemoteFolder
from ..ports.accounts import AccountBook, AccountEntry
from ..scenarios import Scenarios, names
from ._held_folders import HeldFolders

__all__ = ["HeldFolders", "ScenarioEffects"]


@dataclass(frozen=True)
class _Edit:
    """What ``account-edited`` changed: a field of an account, its value before and the one it set."""

    username: str
    field: str
    before: Any
    after: Any


class ScenarioEffects:
    """The effects of the account scenarios on one partner, bound to its scenarios."""

    def __init__(self, scenarios: Scenarios, accounts: AccountBook, held: HeldFolders) -> None:
        self.scenarios = scenarios
        self.accounts = accounts
        self.endpoints = tuple(accounts.profile.endpoints)
        self.held = held
        self._edit: _Edit | None = None
        for name, check, on, off in (
            (names.PASSWORD_REFUSED, self._password_refused, _nothing, _nothing),
            (names.CONNECTION_TYPE_REFUSED, self._connection_type_refused, _nothing, _nothing),
            (names.ACCOUNT_EDITED, self._check_edit, self._edit_account, self._restore_account),
            (names.REMOTE_FOLDER_MISSING, self._chosen_folders, self._take_folders, self._restore_folders),
        ):
            if name in self.scenarios.specs:
                self.scenarios.take_effect(name, check=check, on=on, off=off)

    def recover(self) -> None:
        """At start: folders a killed run kept aside come back."""
        self.held.restore()

    # -- checks -------------------------------------------------------------------------------------------

    def _password_refused(self, parameters: dict[str, Any]) -> None:
        if parameters["account"]:
            entry = self._entry(names.PASSWORD_REFUSED, parameters["account"])
            if entry.password is None:
                raise UsageError(
                    f"scenario {names.PASSWORD_REFUSED}: account {entry.username!r} has no password (it "
                    f"logs in by {', '.join(entry.methods)})"
                )

    def _connection_type_refused(self, parameters: dict[str, Any]) -> None:
        endpoint = self._endpoint(names.CONNECTION_TYPE_REFUSED, parameters["endpoint"])
        if parameters["account"]:
            entry = self._entry(names.CONNECTION_TYPE_REFUSED, parameters["account"])
            if not entry.may_use(endpoint):
                raise UsageError(
                    f"scenario {names.CONNECTION_TYPE_REFUSED}: account {entry.username!r} may not use "
                    f"{endpoint!r} anyway (it may use {', '.join(entry.endpoints(self.accounts.profile))})"
                )

    def _entry(self, scenario: str, username: str) -> AccountEntry:
        try:
            return self.accounts.entry(username)
        except UnknownAccountError as error:
            raise UsageError(f"scenario {scenario}: account: {error}") from None

    def _endpoint(self, scenario: str, endpoint: str) -> str:
        if endpoint not in self.endpoints:
            expected = ", ".join(self.endpoints)
            raise UsageError(f"scenario {scenario}: endpoint: expected one of {expected}, got {endpoint!r}")
        return endpoint

    # -- account-edited -----------------------------------------------------------------------------------

    def _check_edit(self, parameters: dict[str, Any]) -> None:
        entry = self._edited_entry(parameters)
        if parameters["what"] != "password":
            self._kept_endpoints(entry, parameters["endpoint"])

    def _edit_account(self, parameters: dict[str, Any]) -> dict[str, Any]:
        entry = self._edited_entry(parameters)
        username, cut = entry.username, bool(parameters["cut_sessions"])
        live = self.accounts.live_sessions(username)
        if parameters["what"] == "password":
            changed = self.accounts.change(username, password=True, cut_sessions=cut)
            self._edit = _Edit(username, "password", entry.password, changed.password)
        else:
            kept = self._kept_endpoints(entry, parameters["endpoint"])
            changed = self.accounts.change(username, endpoints=kept, cut_sessions=cut)
            self._edit = _Edit(username, "endpoints", entry.account.endpoints, changed.account.endpoints)
        return {"account": username, "edited": parameters["what"], "live_sessions": live, "cut_sessions": cut}

    def _edited_entry(self, parameters: dict[str, Any]) -> AccountEntry:
        """The account named, or the first one the edit applies to."""
        if parameters["account"]:
            entry = self._entry(names.ACCOUNT_EDITED, parameters["account"])
            if parameters["what"] == "password" and entry.password is None:
                raise UsageError(
                    f"scenario {names.ACCOUNT_EDITED}: account {entry.username!r} has no password to change"
                    f" (it logs in by {', '.join(entry.methods)})"
                )
            return entry
        fits = [entry for entry in self.accounts.entries() if self._editable(entry, parameters)]
        if not fits:
            raise UsageError(
                f"scenario {names.ACCOUNT_EDITED}: no account of {self.accounts.partner} can have that edit"
            )
        return fits[0]

    def _editable(self, entry: AccountEntry, parameters: dict[str, Any]) -> bool:
        """An account with a password; one that may use several connection types, the one taken among them."""
        if parameters["what"] == "password":
            return entry.password is not None
        types = self._types(entry)
        return len(types) > 1 and (not parameters["endpoint"] or parameters["endpoint"] in types)

    def _types(self, entry: AccountEntry) -> list[str]:
        """The connection types the account may use, as before this scenario's own edit (switched on again,
        the scenario edits the account as it was)."""
        edit = self._edit
        if edit is not None and edit.username == entry.username and edit.field == "endpoints":
            return list(edit.before or self.endpoints)
        return list(entry.endpoints(self.accounts.profile))

    def _kept_endpoints(self, entry: AccountEntry, taken: str) -> list[str]:
        """The connection types the account keeps: all but ``taken``, or only its first one."""
        types = self._types(entry)
        if taken:
            self._endpoint(names.ACCOUNT_EDITED, taken)
        if taken and taken not in types:
            raise UsageError(
                f"scenario {names.ACCOUNT_EDITED}: account {entry.username!r} may not use {taken!r} already"
            )
        if len(types) < 2:
            raise UsageError(
                f"scenario {names.ACCOUNT_EDITED}: account {entry.username!r} may use {types[0]!r} only: "
                "taking a connection type away would leave it none"
            )
        return [endpoint for endpoint in types if endpoint != taken] if taken else types[:1]

    def _restore_account(self, parameters: dict[str, Any]) -> dict[str, Any]:
        edit, self._edit = self._edit, None
        if edit is None:
            return {}
        entry = self.accounts.get(edit.username)
        if entry is None or _edited_field(entry, edit.field) != edit.after:
            return {"account": edit.username, "restored": False, "reason": "the account changed since"}
        if edit.field == "password":
            self.accounts.change(edit.username, password=edit.before)
        else:
            self.accounts.change(edit.username, endpoints=edit.before)
        return {"account": edit.username, "restored": True}

    # -- remote-folder-missing ----------------------------------------------------------------------------

    def _take_folders(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return {"removed": self.held.take(self._chosen_folders(parameters))}

    def _chosen_folders(self, parameters: dict[str, Any]) -> list[tuple[str, str]]:
        """The remote folders the parameters designate, as (user name, home-relative path)."""
        wanted, account = str(parameters["folder"]), str(parameters["account"])
        entries = [self._entry(names.REMOTE_FOLDER_MISSING, account)] if account else self.accounts.entries()
        chosen = [
            (entry.username, folder.relative)
            for entry in entries
            for folder in entry.account.remote_folders
            if _designates(wanted, folder)
        ]
        if not chosen:
            known = sorted({folder.path for entry in entries for folder in entry.account.remote_folders})
            raise UsageError(
                f"scenario {names.REMOTE_FOLDER_MISSING}: folder: no remote folder is {wanted!r} (give a "
                f"use: {', '.join(FOLDER_USES)}; a name; or a path: {', '.join(known) or 'none'})"
            )
        return chosen

    def _restore_folders(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return {"restored": self.held.restore()}


def _designates(wanted: str, folder: RemoteFolder) -> bool:
    """Whether ``wanted`` is the folder's use, its name, or its path (with or without its leading slash)."""
    return wanted in (folder.use, folder.name) or "/" + wanted.strip("/") == folder.path


def _edited_field(entry: AccountEntry, field: str) -> Any:
    return entry.password if field == "password" else entry.account.endpoints


def _nothing(parameters: dict[str, Any]) -> None:
    """Switched off, the login scenarios leave nothing to undo."""
