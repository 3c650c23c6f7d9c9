"""A deposit on the XFB gateway: one file with its application reference and destination site, written
into the account's ``depots`` folder through its session (rights, quota and journal as any upload).

TASK Collectivités' guide, section B/3: "Pour émettre un fichier, vous devez renseigner ces champs, selon
les valeurs qui vous seront communiquées par ailleurs par la D.G.C.P. ... Il n'est pas possible de
transmettre plusieurs fichiers à la fois"; D/5: the scheduler "crée les entêtes HTTP" then sends the file,
and the gateway answers "File received correctly". Two forms are taken (ours: the guide shows neither):
a browser's multipart form (fields ``reference``, ``site`` and one ``file``) and the raw request a
scheduler builds (``reference``, ``site`` and ``file``, the file's name, in the query; the body is the file).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO

from aiohttp import BodyPartReader, web

from ...infra.limits import StorageRefused
from ...ports.session import Session
from ...ports.storage import AccessRefused, Location
from ._faults import chunk_moved

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = [
    "DEPOSITS",
    "Deposit",
    "DepositRefused",
    "Incoming",
    "field_text",
    "file_name",
    "form_parts",
    "incoming_file",
    "receive_deposit",
    "sent_file_name",
]

DEPOSITS = "depots"
"""The folder of each account's home where deposits land."""
_CHUNK = 1 << 16


class DepositRefused(Exception):
    """A deposit the gateway cannot take: its page says why."""


@dataclass(frozen=True)
class Deposit:
    reference: str
    site: str
    name: str
    size: int
    location: Location


async def receive_deposit(server: HttpServer, request: web.Request, session: Session) -> Deposit:
    """Read the deposit (either form) into the account's ``depots`` folder."""
    if request.content_type.startswith("multipart/"):
        return await _from_form(server, request, session)
    query = request.query
    name = file_name(query.get("file", ""))
    reference, site = query.get("reference", "").strip(), query.get("site", "").strip()
    return await _write(server, session, reference, site, name, lambda: request.content.read(_CHUNK))


async def _from_form(server: HttpServer, request: web.Request, session: Session) -> Deposit:
    fields: dict[str, str] = {}
    deposit: Deposit | None = None
    async for part in form_parts(request):
        if part.filename is None:
            fields[part.name or ""] = await field_text(part)
            continue
        if deposit is not None:
            raise DepositRefused("one file at a time: it is not possible to send several files at once")
        deposit = await _write(
            server,
            session,
            fields.get("reference", ""),
            fields.get("site", ""),
            file_name(sent_file_name(part)),
            partial(part.read_chunk, _CHUNK),
        )
    if deposit is None:
        raise DepositRefused("no file: choose the file to send")
    return deposit


async def form_parts(request: web.Request) -> AsyncIterator[BodyPartReader]:
    """The parts of a browser's multipart form, in the order it sent them (a form's fields come in the
    order the page shows them)."""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise DepositRefused("a nested multipart body is not a form")
        yield part


_FILENAME = re.compile(r'filename="([^"]*)"')


def sent_file_name(part: BodyPartReader) -> str:
    """A form's file name as the browser sent it. Browsers write a Windows path's backslashes as they are
    (and percent-encode quotes), which aiohttp, reading them as RFC 2616's quoted pairs, would drop:
    ``c:\\transfert\\wecivil1.038`` would become ``c:transfertwecivil1.038``."""
    raw = _FILENAME.search(part.headers.get("Content-Disposition", ""))
    return raw.group(1) if raw is not None else part.filename or ""


async def field_text(part: BodyPartReader) -> str:
    """A form field's value, as much of it as any field of these forms needs."""
    return (await part.text())[:100].strip()


def file_name(given: str) -> str:
    """The file's own name (a browser may send a whole Windows path: ``c:\\transfert\\mandat``)."""
    name = posixpath.basename(given.replace("\\", "/")).strip()
    if not name or name in (".", ".."):
        raise DepositRefused("no file: choose the file to send")
    return name


Read = Callable[[], Awaitable[bytes]]
"""The next chunk of a deposit's bytes (empty at the end): a form's file part, or the request's body."""


async def _write(
    server: HttpServer, session: Session, reference: str, site: str, name: str, read: Read
) -> Deposit:
    if not reference or not site:
        raise DepositRefused("the application reference and the destination site are required")
    async with incoming_file(server, session, f"/{DEPOSITS}/{name}", reference=reference, site=site) as file:
        await file.take(read)
    return Deposit(reference, site, name, file.size, file.location)


@dataclass
class Incoming:
    """A file being received: where it goes, and what has come of it so far."""

    server: HttpServer
    session: Session
    location: Location
    target: BinaryIO
    size: int = 0
    digest: Any = None
    """The bytes' SHA-256 as they come, where the partner shows it (AIREPPNET's acknowledgement); None
    where none does (XFB: hashing a 256 MiB deposit was half of what mockpartners added to it)."""

    async def take(self, read: Read) -> None:
        """Copy what ``read`` gives, within the account's quota, as the fault scenarios let it move."""
        while chunk := await read():
            self.session.reserve_storage(self.location, len(chunk))
            self.target.write(chunk)
            if self.digest is not None:
                self.digest.update(chunk)
            self.size += len(chunk)
            await chunk_moved(self.server, self.session, len(chunk))


@asynccontextmanager
async def incoming_file(
    server: HttpServer, session: Session, path: str, *, hashed: bool = False, **detail: Any
) -> AsyncIterator[Incoming]:
    """Open the file as any upload (the right, the quota, ``fs.open``), let the body copy into it, close
    (``fs.close``: complete or not). A file that did not arrive whole, or whose request the body refused
    after all (a :class:`DepositRefused` raised inside), is removed: the partner never sees half a file."""
    try:
        with session.operation("fs.open", path, "write", mode="write", **detail) as op:
            session.reserve_storage(op.location, 0, new_files=1)
    except (AccessRefused, StorageRefused) as refused:
        raise DepositRefused(refused.reason) from None
    location = op.location
    session.upload_started(location)
    received: Incoming | None = None
    complete = False
    try:
        with open(location.real, "wb") as target:
            received = Incoming(
                server, session, location, target, digest=hashlib.sha256() if hashed else None
            )
            yield received
        complete = received.size > 0
    except StorageRefused as refused:
        raise DepositRefused(refused.reason) from None
    finally:
        size = received.size if received is not None else 0  # what came, even of a body cut short
        session.upload_ended(location, complete=complete, bytes_written=size, **detail)
        if not complete:
            location.real.unlink(missing_ok=True)
    if not complete:
        raise DepositRefused("the file is empty")
