"""An account's files from the partner's side: read anything, drop answers, requests or publications.

Writes here are the partner's own, so no folder right applies; each is journalled (``partner.drop``,
``partner.remove``) and a file dropped into an inbox is taken like an upload.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .journal import Event

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
        location = self.home.resolve(path)
        content = data.encode() if isinstance(data, str) else data
        location.real.parent.mkdir(parents=True, exist_ok=True)
        temporary = location.real.with_name(f".{location.name}.drop")
        temporary.write_bytes(content)
        self.partner.stamp(temporary)
        os.replace(temporary, location.real)
        detail: dict[str, Any] = {"size": len(content)}
        if self.partner.watches(location.relative):
            detail["arrival"] = location.relative
        event = self.partner.journal.record(
            kind, partner=self.partner.name, account=self.username, path=location.relative, **detail
        )
        self.partner.file_arrived(self.username, location.relative, event)
        return event

    def remove(self, path: str) -> Event:
        location = self.home.resolve(path)
        location.real.unlink()
        return self.partner.journal.record(
            "partner.remove", partner=self.partner.name, account=self.username, path=location.relative
        )

    def __repr__(self) -> str:
        return f"AccountFiles({self.partner.name}:{self.username} at {self.home.root})"
