"""What the attack tests share: a small disk of their own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``path`` for the duration (mounting needs root, which CI has)."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root: this test mounts a small tmpfs")
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, as a CI runner's small scratch disk."""
    yield from mounted_tmpfs(tmp_path / "disk", "4m")


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk``; the file that holds them (delete it to free them)."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    # unbuffered: a buffered file would keep the bytes the disk refused and raise again when closed
    with open(filler, "wb", buffering=0) as handle:
        try:
            while handle.write(chunk):
                pass
        except OSError:
            pass
    return filler
