"""A logged-in connection to a customer's server, whatever its protocol: list, exists, put, get, delete.

Synchronous on purpose: the partner's scheduler runs jobs on one worker thread (infra/scheduler.py), and a
push or pull is a short sequence of steps that must each end before the next one starts. Every step is
recorded (:mod:`._steps`) and every failure is an :class:`~._errors.OutboundError` with its reason.
"""

from __future__ import annotations

import builtins
import io
import posixpath
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ..infra.atomic import writing_atomically
from ..model._customer_server import CustomerServer
from ..model.errors import StateError
from ._errors import OutboundError
from ._steps import Steps

__all__ = ["LocalSink", "Remote", "RemoteEntry"]

TEMPORARY_SUFFIX = ".tmp"
"""``upload: temporary`` writes ``NAME.tmp``, then renames it to ``NAME`` (docs/partners/lucca-client.md)."""


@dataclass(frozen=True)
class RemoteEntry:
    """One entry of a remote folder."""

    name: str
    size: int | None
    """Bytes, when the server says (FTP ``LIST`` formats it does not know leave it out)."""
    folder: bool


class LocalSink:
    """Where a download goes: a failure to write here is ours (a local disk), never the server's, so it is
    raised as a :class:`StateError` that no protocol mistakes for a network error."""

    def __init__(self, target: BinaryIO, name: str) -> None:
        self._target = target
        self._name = name
        self.size = 0

    def write(self, data: bytes) -> None:
        try:
            self._target.write(data)
        except OSError as error:
            raise StateError(f"{self._name}: cannot write the download here: {error.strerror}") from None
        self.size += len(data)


class Remote(ABC):
    """A connection to a customer's server, logged in; close it (or use it as a context manager)."""

    def __init__(self, server: CustomerServer, steps: Steps) -> None:
        self.server = server
        self.steps = steps
        self._closed = False

    def _start(self) -> None:
        """Connect and log in (each protocol's ``_open``); what a failure left open is closed."""
        try:
            self._open()
        except BaseException:
            self._disconnect()
            raise

    # -- what callers use ---------------------------------------------------------------------------------

    def list(self, folder: str) -> list[RemoteEntry]:
        """The entries of ``folder``, sorted by name (``.`` and ``..`` left out)."""
        with self.steps.step("outbound.list", self._translate, folder) as found:
            entries = sorted(self._list(folder), key=lambda entry: entry.name)
            found["count"] = len(entries)
        return entries

    def exists(self, folder: str) -> bool:
        """Whether ``folder`` is a folder the login can enter."""
        with self.steps.step("outbound.exists", self._translate, folder) as found:
            found["exists"] = self._is_folder(folder)
        return bool(found["exists"])

    def put(self, source: bytes | Path, remote_path: str) -> int:
        """Upload ``source`` (bytes, or a local file) as ``remote_path``, directly or by a temporary name then
        a rename, as the server's ``upload`` says; the bytes written."""
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        with (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as data,
            self.steps.step("outbound.put", self._translate, remote_path) as found,
        ):
            found.update(size=size, upload=self.server.upload)
            if self.server.upload == "temporary":
                temporary = remote_path + TEMPORARY_SUFFIX
                found["temporary"] = temporary
                self._write(data, temporary)
                self._rename_into_place(temporary, remote_path)
            else:
                self._write(data, remote_path)
        return size

    def _rename_into_place(self, temporary: str, remote_path: str) -> None:
        try:
            self._rename(temporary, remote_path)
        except Exception as error:
            translated = self._translate(error, "outbound.rename", remote_path)
            if translated is None:
                raise
            raise OutboundError(
                translated.reason,
                f"{translated.message}. The upload was written as {temporary}, and renaming it to "
                f"{split(remote_path)[1]} failed: {temporary} is left on the server",
            ) from error

    def get(self, remote_path: str) -> bytes:
        """The content of ``remote_path``."""
        buffer = io.BytesIO()
        with self.steps.step("outbound.get", self._translate, remote_path) as found:
            sink = LocalSink(buffer, "memory")
            self._read(remote_path, sink)
            found["size"] = sink.size
        return buffer.getvalue()

    def get_file(self, remote_path: str, local_path: Path) -> int:
        """Download ``remote_path`` into ``local_path``, which appears whole or not at all; the bytes read."""
        with (
            writing_atomically(local_path) as target,
            self.steps.step("outbound.get", self._translate, remote_path) as found,
        ):
            sink = LocalSink(target, str(local_path))
            self._read(remote_path, sink)
            found["size"] = sink.size
        return sink.size

    def delete(self, remote_path: str) -> None:
        with self.steps.step("outbound.delete", self._translate, remote_path):
            self._delete(remote_path)

    def close(self) -> None:
        """Log out and disconnect (once); never raises: the steps before it are what counted."""
        if self._closed:
            return
        self._closed = True
        self._disconnect()
        self.steps.ok("outbound.disconnect")

    def __enter__(self) -> Remote:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- what each protocol does --------------------------------------------------------------------------

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _list(self, folder: str) -> builtins.list[RemoteEntry]: ...

    @abstractmethod
    def _is_folder(self, folder: str) -> bool: ...

    @abstractmethod
    def _write(self, data: BinaryIO, remote_path: str) -> None: ...

    @abstractmethod
    def _rename(self, old: str, new: str) -> None: ...

    @abstractmethod
    def _read(self, remote_path: str, sink: LocalSink) -> None: ...

    @abstractmethod
    def _delete(self, remote_path: str) -> None: ...

    @abstractmethod
    def _disconnect(self) -> None: ...

    @abstractmethod
    def _translate(self, error: BaseException, kind: str, path: str | None) -> OutboundError | None:
        """A library error met during step ``kind`` as the reason it means; None: not the server's doing."""


def split(remote_path: str) -> tuple[str, str]:
    """``/a/b/c.csv`` as its folder (``/a/b``) and name (``c.csv``); a bare name's folder is ``.``."""
    folder, name = posixpath.split(remote_path)
    return folder or ".", name
