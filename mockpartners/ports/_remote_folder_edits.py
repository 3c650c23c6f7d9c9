"""Editing an account's remote folders as Lucca's module does ("Editer les dossiers distants"): add one,
change its name, path or use, remove one. Each edit gives the new list, which the account book checks and
applies like any account change (same checks as a profile, journalled, at once on every protocol).

A folder removed, or moved to another path, keeps its files on the server: the old folder is no longer one
of the account's remote folders (its rights become those of the folder above it), and nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ..model.loading import RemoteFolder
from ._account_entry import AccountError

__all__ = ["added", "changed", "removed"]


def added(
    folders: Sequence[RemoteFolder], folder: Mapping[str, Any] | RemoteFolder
) -> tuple[RemoteFolder, ...]:
    return (*folders, _folder(folder))


def changed(
    folders: Sequence[RemoteFolder], name: str, fields: Mapping[str, Any]
) -> tuple[RemoteFolder, ...]:
    index = _index(folders, name)
    edited = _folder({**folders[index].model_dump(exclude_defaults=True), **fields})
    return (*folders[:index], edited, *folders[index + 1 :])


def removed(folders: Sequence[RemoteFolder], name: str) -> tuple[RemoteFolder, ...]:
    index = _index(folders, name)
    return (*folders[:index], *folders[index + 1 :])


def _index(folders: Sequence[RemoteFolder], name: str) -> int:
    for index, folder in enumerate(folders):
        if name in (folder.name, folder.path):
            return index
    known = ", ".join(repr(folder.name) for folder in folders) or "none"
    raise AccountError(f"no remote folder named {name!r} (the account has {known})")


def _folder(folder: Mapping[str, Any] | RemoteFolder) -> RemoteFolder:
    if isinstance(folder, RemoteFolder):
        return folder
    try:
        return RemoteFolder.model_validate(dict(folder))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'remote folder'}: "
            + item["msg"].removeprefix("Value error, ")
            for item in error.errors(include_url=False)
        )
        raise AccountError(f"remote folder: {problems}") from None
