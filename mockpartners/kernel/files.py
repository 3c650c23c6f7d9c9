"""An account's files from the partner's side: read anything, drop answers, requests or publications.

Writes here are the partner's own, so no folder right applies; each is journalled (``partner.drop``,
``partner.remove``) and a file dropped into an inbox is taken like an upload. A drop lands in a folder that
exists (it never creates one: a home holds the profile's folders and what clients made) and appears whole.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..infra.atomic import write_atomically
from ..infra.journal import Event
from ..ports.storage import Location

if TYPE_CHECKING:
    from .partner import Partner

__all__ = ["AccountFiles"]


class AccountFiles:
    def __init__(self, partner: Partner, username: str) -> None:
        self.partner = partner
        self.username = username
        self.home = partner.tree.home(username)

    def list(self, folder: str = "") -> list[str]:
        """Sorted names in a home-relative folder."""
        return sorted(os.listdir(self.home.resolve(folder).real))

    def read(self, path: str) -> bytes:
        return self.home.resolve(path).real.read_bytes()

    def exists(self, path: str) -> bool:
        return self.home.resolve(path).real.exists()

    def drop(self, path: str, data: bytes | str, *, kind: str = "partner.drop") -> Event:
        """Write a file as the partner would; it appears whole (written aside, then renamed)."""
        content = data.encode() if isinstance(data, str) else data
        location = self._target(path, len(content))
        write_atomically(location.real, content, mode=0o644, mtime=self.partner.virtual_mtime())
        return self._arrived(location, len(content), kind)

    def drop_file(self, path: str, source: Path, *, kind: str = "partner.drop") -> Event:
        """Move ``source`` (a file of the partner's, on the same file system) into place as ``path``."""
        size = source.stat().st_size
        location = self._target(path, 0)  # already on the disk: moving it takes no more room
        moment = self.partner.virtual_mtime()
        if moment is not None:
            os.utime(source, (moment, moment))
        os.chmod(source, 0o644)
        os.replace(source, location.real)
        return self._arrived(location, size, kind)

    def remove(self, path: str) -> Event:
        location = self.home.resolve(path)
        location.real.unlink()
        return self.partner.journal.record("partner.remove", account=self.username, path=location.relative)

    def _target(self, path: str, growth: int) -> Location:
        """Where a drop lands: a folder that exists in the home, with room on the disk for ``growth`` more
        bytes."""
        location = self.home.resolve(path)
        if location.is_root:
            raise IsADirectoryError(errno.EISDIR, "the home folder is a folder", str(location.real))
        folder = location.real.parent
        if not folder.is_dir():
            error = errno.ENOTDIR if folder.exists() else errno.ENOENT
            raise OSError(error, os.strerror(error), str(folder))
        self.partner.storage.reserve_disk(growth)
        return location

    def _arrived(self, location: Location, size: int, kind: str) -> Event:
        detail: dict[str, Any] = {"size": size}
        if self.partner.watches(self.username, location.relative):
            detail["arrival"] = location.relative
        event = self.partner.journal.record(kind, account=self.username, path=location.relative, **detail)
        self.partner.file_arrived(self.username, location.relative, event)
        return event

    def __repr__(self) -> str:
        return f"AccountFiles({self.partner.name}:{self.username} at {self.home.root})"
