"""Writing credential files: atomically, with tight permissions, and never over an existing file."""

from __future__ import annotations

import os
from pathlib import Path


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` with ``data``; if it exists (another process was first), keep what is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    try:
        os.link(temporary, path)  # fails if the file exists: the first writer wins, nothing is overwritten
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
