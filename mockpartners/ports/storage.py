"""The partner's file tree: one home per account, folder rights, and path resolution that cannot escape.

Every path a client sends goes through :meth:`Home.resolve`: it is decoded strictly, normalised against the
home's root (``..`` stops at ``/``), and the real path, symlinks followed, must stay inside the home.
Rights come from the profile's folders and are checked before existence, as real servers do: a refused
SETSTAT answers "permission denied" whether or not the file is still there.
"""

from __future__ import annotations

import os
import posixpath
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..model.errors import MockPartnersError
from ..model.loading import Folder, Profile, Right, nearest_folder

__all__ = ["AccessRefused", "FolderTables", "Home", "Location", "PartnerTree", "RightsAdjustment"]

RightsAdjustment = Callable[[str, "tuple[Right, ...]"], "tuple[Right, ...]"]
FolderTables = Callable[[str], Mapping[str, Folder]]
"""The folders of an account's home, by user name: the profile's and the account's own (its remote folders),
read at every check so that an account edited while serving has its new folders at once."""

_MAX_NAME_BYTES = 255
_MAX_PATH_BYTES = 4096


class AccessRefused(MockPartnersError):
    """A client operation the partner refuses; adapters turn it into the protocol's own reply code."""

    def __init__(self, reason: str, kind: Literal["permission", "not_found", "invalid_name"] = "permission"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class Location:
    """A path inside a home: as the client sees it (``/IN/a.xml``) and on disk."""

    virtual: str
    real: Path

    @property
    def relative(self) -> str:
        """Home-relative path without leading slash ("" for the home itself): the journal's ``path``."""
        return self.virtual.lstrip("/")

    @property
    def folder(self) -> str:
        """Home-relative folder that holds this entry ("" for entries at the root)."""
        return posixpath.dirname(self.relative)

    @property
    def name(self) -> str:
        return posixpath.basename(self.virtual)

    @property
    def is_root(self) -> bool:
        return self.virtual == "/"


class Home:
    """One account's home in a partner's tree."""

    def __init__(
        self,
        root: Path,
        profile: Profile,
        username: str,
        adjust: RightsAdjustment | None = None,
        tables: FolderTables | None = None,
    ) -> None:
        self.root = root
        self.profile = profile
        self.username = username
        self._adjust = adjust
        self._tables = tables
        self._real_root = os.path.realpath(root)

    @property
    def folders(self) -> Mapping[str, Folder]:
        """The declared folders of this home (home-relative paths, "/" for the home itself)."""
        return self._tables(self.username) if self._tables else self.profile.folders

    def ensure_folders(self, folders: Iterable[str] | None = None) -> None:
        """Create the declared folders, or ``folders`` (and the home): nothing else is created or removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in self.folders if folders is None else folders:
            if folder != "/":
                (self.root / folder).mkdir(parents=True, exist_ok=True)

    def resolve(self, path: str | bytes, cwd: str = "/") -> Location:
        """The location a client path designates; refuses names that cannot exist and paths that escape."""
        text = _decode(path)
        if self.profile.paths.backslash_separator:
            text, cwd = text.replace("\\", "/"), cwd.replace("\\", "/")
        virtual = posixpath.normpath(posixpath.join(cwd, text))
        if virtual.startswith("//"):
            virtual = "/" + virtual.lstrip("/")
        if len(virtual.encode()) > _MAX_PATH_BYTES:
            raise AccessRefused("path too long", "invalid_name")
        for part in virtual.split("/"):
            if len(part.encode()) > _MAX_NAME_BYTES:
                raise AccessRefused("file name too long", "invalid_name")
        if not self.profile.paths.case_sensitive:  # after the length checks: the disk refuses longer names
            virtual = self._existing_case(virtual)
        real = self.root / virtual.lstrip("/") if virtual != "/" else self.root
        resolved = os.path.realpath(real)
        if resolved != self._real_root and not resolved.startswith(self._real_root + os.sep):
            raise AccessRefused("no such file", "not_found")
        return Location(virtual, real)

    def _existing_case(self, virtual: str) -> str:
        """``virtual`` spelt as the entries that exist (``/From_vip/X.xml`` -> ``/from_vip/X.xml``), as a
        server on a case-insensitive file system reads it; a part that matches nothing is kept as typed."""
        folder, parts = self.root, []
        for part in (part for part in virtual.split("/") if part):
            if not (folder / part).exists() and folder.is_dir():
                wanted = part.casefold()
                matches = [name for name in _names(folder) if name.casefold() == wanted]
                part = matches[0] if len(matches) == 1 else part
            parts.append(part)
            folder = folder / part
        return "/" + "/".join(parts)

    def location(self, real: Path) -> Location:
        """The client's view of a real path inside this home."""
        relative = os.path.relpath(real, self.root)
        if relative == ".":
            return Location("/", self.root)
        if relative.startswith(".."):
            raise AccessRefused("no such file", "not_found")
        return Location("/" + relative.replace(os.sep, "/"), real)

    def rights(self, folder: str) -> tuple[Right, ...]:
        rights = nearest_folder(self.folders, folder).rights
        return self._adjust(folder, rights) if self._adjust else rights

    def check(self, right: Right, location: Location) -> None:
        """Refuse ``right`` on an entry: files use the rights of their folder, listing the folder's own."""
        folder = location.relative if right == "list" else location.folder
        if right != "list" and location.is_root:
            raise AccessRefused("permission denied: the home itself cannot be changed")
        if right in ("delete", "rename", "setstat") and self.is_declared_folder(location):
            raise AccessRefused(f"permission denied: {location.relative} is one of the partner's folders")
        if right not in self.rights(folder):
            where = folder or "the home folder"
            raise AccessRefused(f"permission denied: no {right} right in {where}")

    def check_rename(self, source: Location, target: Location) -> None:
        """Renaming needs the rename right on both sides and the write right where the entry lands."""
        self.check("rename", source)
        if source.folder != target.folder:
            self.check("rename", target)
        self.check("write", target)

    def is_declared_folder(self, location: Location) -> bool:
        return location.relative in self.folders

    def is_inside(self, location: Location, folder: str) -> bool:
        return location.folder == folder or location.folder.startswith(folder + "/")


class PartnerTree:
    """All homes of one partner; ``adjust`` lets scenarios grant or take rights while serving."""

    def __init__(
        self,
        root: Path,
        profile: Profile,
        adjust: RightsAdjustment | None = None,
        tables: FolderTables | None = None,
    ) -> None:
        self.root = root
        self.profile = profile
        self.adjust = adjust
        self.tables = tables
        self._homes: dict[str, Home] = {}

    def home(self, username: str) -> Home:
        if username not in self._homes:
            self._homes[username] = Home(
                self.root / username, self.profile, username, self.adjust, self.tables
            )
        return self._homes[username]

    def forget_home(self, username: str) -> None:
        """The account is gone or renamed: its next home is made afresh."""
        self._homes.pop(username, None)

    def ensure_homes(self) -> None:
        for account in self.profile.accounts:
            self.home(account.username).ensure_folders()


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _decode(path: str | bytes) -> str:
    if isinstance(path, bytes):
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError:
            raise AccessRefused("file name is not valid UTF-8", "invalid_name") from None
    else:
        text = path
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise AccessRefused("file name contains control characters", "invalid_name")
    return text or "."
