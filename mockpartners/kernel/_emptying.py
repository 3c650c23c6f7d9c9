"""What a reset deletes: everything a test left in a partner's tree, but not the folders a fresh partner has.

Those are emptied and kept rather than deleted and made again: on a journaling file system, removing and
creating a dozen folders costs more than all the rest of a reset, which the pytest fixtures pay per test.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = ["empty", "with_parents"]


def with_parents(folders: Iterable[str]) -> frozenset[str]:
    """Relative folder names and every parent they need (``cache/to_vip`` keeps ``cache`` too)."""
    kept: set[str] = set()
    for folder in folders:
        parts = [part for part in folder.split("/") if part]
        kept.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return frozenset(kept)


def empty(root: Path, keep: frozenset[str], mode: int) -> bool:
    """Delete everything under ``root`` but the folders ``keep`` names (relative to ``root``), which are
    emptied in turn and given ``mode`` again if a client changed it; links are removed, never followed.
    Whether every kept folder was there (if not, the caller makes them again)."""
    found = 0
    pending = [("", root)]
    while pending:
        relative, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            name = f"{relative}/{entry.name}" if relative else entry.name
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
            elif name not in keep:
                shutil.rmtree(entry.path)
            else:
                found += 1
                if stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) != mode:
                    os.chmod(entry.path, mode)
                pending.append((name, Path(entry.path)))
    return found == len(keep)
