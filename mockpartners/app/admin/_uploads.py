"""File uploads streamed to disk: an admin PUT never holds its body in memory.

Six 260 MB PUTs once made the process 1.7 GB resident. The body now goes, a megabyte at a time, into a
private file in ``STATE/admin-uploads`` (the homes' file system, so the finished file is moved into place,
never copied), the disk's reserve checked before every write; the file takes its place only once the body
is whole. Whatever stops an upload (the client leaving, a pause, the size limit, the disk's reserve) removes
the file and is journalled as a failed ``partner.drop``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from aiohttp import web

from ...kernel.files import AccountFiles
from ._bodies import MAXIMUM_FILE, body_chunks
from ._http import Control

__all__ = ["prepare", "receive"]

_BATCH = 2**20
"""Bytes gathered before one write (and one check of the disk's reserve) in a worker thread."""


def prepare(folder: Path) -> None:
    """An empty private folder: uploads a killed process left behind are removed, and a link planted in
    its place is removed, never followed."""
    if folder.is_symlink():
        folder.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _write(handle: BinaryIO, data: bytes, files: AccountFiles) -> None:
    files.partner.storage.reserve_disk(len(data))
    handle.write(data)


async def receive(request: web.Request, control: Control, files: AccountFiles, path: str) -> Path:
    """The request's body in a private file of ``control.uploads``; the caller moves or removes it.
    ``path`` (home-relative) only names the upload in the journal."""
    descriptor, name = tempfile.mkstemp(dir=control.uploads, prefix="upload-")
    temporary = Path(name)
    received = 0
    try:
        with os.fdopen(descriptor, "wb") as handle:
            files.partner.storage.reserve_disk(request.content_length or 0)  # a known size: refused at once
            pending = bytearray()
            async for chunk in body_chunks(request, MAXIMUM_FILE, "a file upload"):
                pending += chunk
                received += len(chunk)
                if len(pending) >= _BATCH:
                    await control.run(_write, handle, bytes(pending), files)
                    pending.clear()
            await control.run(_write, handle, bytes(pending), files)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        if isinstance(error, Exception):
            files.partner.journal.record(
                "partner.drop",
                partner=files.partner.name,
                account=files.username,
                path=path,
                outcome="failed",
                reason=str(error),
                received=received,
            )
        raise
    return temporary
