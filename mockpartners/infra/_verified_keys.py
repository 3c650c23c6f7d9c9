"""Remembering that a key pair on disk was checked, so that it is not decrypted again at every start.

The pytest fixtures copy the same credentials into a fresh state directory for every test, and a
passphrase-protected key costs a bcrypt derivation to decrypt: checking every pair at every start would
make each test's start slower. A pair is checked (decrypted, its ``.pub`` compared) once; a digest of its
files is kept beside it, and a later start checks again only when the files no longer match that digest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .atomic import write_atomically

__all__ = ["remember_verified", "verified"]


def _record_path(private_path: Path) -> Path:
    return private_path.with_name(f".{private_path.name}.verified")


def _digest(private_path: Path, public_path: Path, passphrase: str | None) -> str | None:
    """What the check depended on: both files and the passphrase (None when a file cannot be read)."""
    digest = hashlib.sha256(b"mockpartners key pair 1\0")
    try:
        for part in (private_path.read_bytes(), public_path.read_bytes(), (passphrase or "").encode()):
            digest.update(len(part).to_bytes(8, "big") + part)
    except OSError:
        return None
    return digest.hexdigest()


def verified(private_path: Path, public_path: Path, passphrase: str | None) -> bool:
    """Whether this pair, exactly as it is now, was checked before."""
    current = _digest(private_path, public_path, passphrase)
    try:
        recorded = _record_path(private_path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    return current is not None and recorded == current


def remember_verified(private_path: Path, public_path: Path, passphrase: str | None) -> None:
    current = _digest(private_path, public_path, passphrase)
    if current is not None:
        write_atomically(_record_path(private_path), (current + "\n").encode(), mode=0o600)
