"""Remote folders taken off the server while ``remote-folder-missing`` is on, kept whole in the partner's
state directory until they come back.

Lucca's help page, "Dossier distant": files are dropped in the folder at the account's path
``/dossier1/dossier2/dossier3``; a path that is not there on the server is what an integrator meets when the
folder was never made, was removed, or Lucca's configuration names another one. The folder really leaves the
home (so every protocol answers as a server without it does: SFTP "No such file", FTP ``550``) and nothing
in it is lost: it is moved aside, on the same disk, and moved back when the scenario goes off. A process
killed meanwhile leaves it aside; the next start brings it back.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..ports.storage import PartnerTree

__all__ = ["HeldFolders"]

_SUFFIX = ".held"
"""What a file brought back gets after its name when the folder was made again meanwhile with an entry of
the same name (never written over)."""


@dataclass(frozen=True)
class _Held:
    username: str
    relative: str
    files: int

    def shown(self) -> dict[str, Any]:
        return {"account": self.username, "path": "/" + self.relative, "files": self.files}


class HeldFolders:
    """The folders kept aside, under ``place/USERNAME/PATH`` (``place`` is in the partner's state directory,
    outside every home, on the disk of the homes: a move, never a copy)."""

    def __init__(self, place: Path, tree: PartnerTree) -> None:
        self.place = place
        self.tree = tree
        self._held: list[_Held] = []
        self._lock = threading.Lock()

    def take(self, folders: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Move each (user name, home-relative path) aside; a folder inside one already taken went with it,
        one that is not there is left out. What was taken, for the journal."""
        taken: list[_Held] = []
        with self._lock:
            for username, relative in sorted(set(folders)):
                if any(_inside(relative, held.relative) for held in taken if held.username == username):
                    continue
                source = self.tree.home(username).root / relative
                if not _plain_folder(source):
                    continue
                target = self.place / username / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                files = sum(len(names) for _, _, names in os.walk(source))
                os.rename(source, target)
                taken.append(_Held(username, relative, files))
            self._held += taken
        return [held.shown() for held in taken]

    def restore(self) -> list[dict[str, Any]]:
        """Bring back everything kept aside (this run's, or a killed run's), merged into the homes; what came
        back, for the journal."""
        with self._lock:
            held, self._held = self._held, []
            if not self.place.is_dir():
                return [entry.shown() for entry in held]
            for kept in sorted(self.place.iterdir()):
                if _plain_folder(kept):
                    _merge(kept, self.tree.home(kept.name).root)
            return [entry.shown() for entry in held]


def _inside(relative: str, folder: str) -> bool:
    return relative == folder or relative.startswith(folder + "/")


def _merge(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``. Where ``target`` is there already (the folder was made again meanwhile),
    what ``source`` holds moves into it entry by entry, and an entry never replaces one that is there: it
    keeps its name with ``.held`` after it. Links are moved as links, never followed."""
    if not os.path.lexists(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, target)
        return
    if _plain_folder(source) and _plain_folder(target):
        for child in sorted(source.iterdir()):
            _merge(child, target / child.name)
        source.rmdir()
        return
    os.rename(source, _free_name(target))


def _plain_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _free_name(path: Path) -> Path:
    candidate, number = path.with_name(path.name + _SUFFIX), 1
    while os.path.lexists(candidate):
        number += 1
        candidate = path.with_name(f"{path.name}{_SUFFIX}-{number}")
    return candidate
