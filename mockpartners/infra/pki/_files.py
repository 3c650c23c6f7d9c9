"""Writing credential files: atomically, with tight permissions, and never over an existing file."""

from __future__ import annotations

from pathlib import Path

from ..atomic import write_atomically


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` with ``data``; if it exists (another process was first), keep what is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, mode=mode, replace=False)
