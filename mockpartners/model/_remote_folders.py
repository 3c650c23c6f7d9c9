"""Lucca's remote folders ("dossiers distants"): per account, a display name and a path on the server.

The Lucca help page "SFTP/FTPS": "Un dossier distant correspond à un nom (pour le retrouver facilement dans
Lucca), et d'un "chemin"", written ``/dossier1/dossier2/dossier3``; files are dropped in the last folder of
the path. The page does not say what each folder is for beyond "les différents fichiers à intégrer, soit dans
Lucca, soit depuis Lucca": ``use`` is ours, and gives the folder its rights and the partner-side processing
that watches it (an import folder is where the client drops files Lucca imports; Lucca drops exports in an
export folder and its import reports in a reports folder).
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterable
from typing import Literal

from pydantic import Field, field_validator

from ._types import Location, Model, Right

__all__ = ["FOLDER_USES", "RemoteFolder", "RemoteFolderUse", "remote_folder_errors"]

RemoteFolderUse = Literal["import", "export", "reports", "exchange"]

FOLDER_USES: dict[RemoteFolderUse, tuple[Right, ...]] = {
    "import": ("list", "read", "write", "rename", "delete", "setstat"),
    "export": ("list", "read", "delete"),
    "reports": ("list", "read", "delete"),
    "exchange": ("list", "read", "write", "rename", "delete", "mkdir", "setstat"),
}
"""The rights each use gives the account in its folder (the page is silent: what a client needs there;
setstat because WinSCP sets the time of what it uploads, as a generic hosted server allows)."""

_MAX_DEPTH = 16


class RemoteFolder(Model):
    """One remote folder of an account: a name to find it by, a path on the server, and what it is for."""

    name: str = Field(min_length=1, max_length=100)
    path: str = Field(min_length=1, max_length=1024)
    use: RemoteFolderUse = "exchange"
    rights: tuple[Right, ...] | None = None
    """The account's rights in the folder; none: those of its use (``FOLDER_USES``)."""
    description: str = ""

    @field_validator("path")
    @classmethod
    def _absolute_and_plain(cls, path: str) -> str:
        """``/a/b/c`` as the page writes it: absolute, no ``.`` or ``..``, no empty or hidden part."""
        if not path.startswith("/"):
            raise ValueError(f"{path!r}: a remote folder's path starts with / (like /dossier1/dossier2)")
        parts = path.rstrip("/").split("/")[1:]
        if not parts or any(part in ("", ".", "..") for part in parts):
            raise ValueError(
                f"{path!r}: expected a path like /dossier1/dossier2/dossier3 (no '..', '.', '//', and not / "
                "itself: it must stay inside the account's home)"
            )
        if len(parts) > _MAX_DEPTH:
            raise ValueError(f"{path!r}: at most {_MAX_DEPTH} levels of folders")
        for part in parts:
            if part.startswith(".") or any(
                char == "\\" or unicodedata.category(char) in ("Cc", "Cf") for char in part
            ):
                raise ValueError(
                    f"{path!r}: {part!r} cannot start with a dot or hold '\\' or control characters"
                )
        return "/" + "/".join(parts)

    @property
    def relative(self) -> str:
        """The folder's home-relative path, as the journal and the folder rules write it (``a/b/c``)."""
        return self.path.lstrip("/")

    def granted(self) -> tuple[Right, ...]:
        return self.rights if self.rights is not None else FOLDER_USES[self.use]


def remote_folder_errors(folders: Iterable[RemoteFolder]) -> Iterable[tuple[Location, str]]:
    """Two remote folders of one account with the same path, or the same name (Lucca finds them by it)."""
    paths: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, folder in enumerate(folders):
        key = posixpath.normpath(folder.path)
        if key in paths:
            yield (index, "path"), f"{folder.path!r} is already the path of remote folder [{paths[key]}]"
        paths.setdefault(key, index)
        if folder.name in names:
            yield (
                (index, "name"),
                f"{folder.name!r} is already the name of remote folder [{names[folder.name]}]",
            )
        names.setdefault(folder.name, index)
