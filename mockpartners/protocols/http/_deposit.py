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

import posixpath
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, BinaryIO

from aiohttp import BodyPartReader, web

from ...infra.limits import StorageRefused
from ...ports.session import Session
from ...ports.storage import AccessRefused, Location
from ._faults import chunk_moved

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["DEPOSITS", "Deposit", "DepositRefused", "receive_deposit"]

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
    name = _file_name(query.get("file", ""))
    reference, site = query.get("reference", "").strip(), query.get("site", "").strip()
    return await _write(server, session, reference, site, name, lambda: request.content.read(_CHUNK))


async def _from_form(server: HttpServer, request: web.Request, session: Session) -> Deposit:
    reader = await request.multipart()
    fields: dict[str, str] = {}
    deposit: Deposit | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise DepositRefused("a nested multipart body is not a form")
        if part.filename is None:
            fields[part.name or ""] = (await part.text())[:100].strip()
            continue
        if deposit is not None:
            raise DepositRefused("one file at a time: it is not possible to send several files at once")
        deposit = await _write(
            server,
            session,
            fields.get("reference", ""),
            fields.get("site", ""),
            _file_name(part.filename),
            partial(part.read_chunk, _CHUNK),
        )
    if deposit is None:
        raise DepositRefused("no file: choose the file to send")
    return deposit


def _file_name(given: str) -> str:
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
    """Open the file as any upload (the right, the quota, ``fs.open``), copy, close (``fs.close``: complete
    or not). A deposit that did not arrive whole is removed: the partner never sees half a file."""
    if not reference or not site:
        raise DepositRefused("the application reference and the destination site are required")
    path = f"/{DEPOSITS}/{name}"
    try:
        with session.operation("fs.open", path, "write", mode="write", reference=reference, site=site) as op:
            session.reserve_storage(op.location, 0, new_files=1)
    except (AccessRefused, StorageRefused) as refused:
        raise DepositRefused(refused.reason) from None
    location = op.location
    session.upload_started(location)
    size, complete = 0, False
    try:
        with open(location.real, "wb") as target:
            size = await _copy(server, session, location, read, target)
        complete = size > 0
    except StorageRefused as refused:
        raise DepositRefused(refused.reason) from None
    finally:
        session.upload_ended(location, complete=complete, bytes_written=size, reference=reference, site=site)
        if not complete:
            location.real.unlink(missing_ok=True)
    if not complete:
        raise DepositRefused("the file is empty")
    return Deposit(reference, site, name, size, location)


async def _copy(
    server: HttpServer, session: Session, location: Location, read: Read, target: BinaryIO
) -> int:
    size = 0
    while chunk := await read():
        session.reserve_storage(location, len(chunk))
        target.write(chunk)
        size += len(chunk)
        await chunk_moved(server, session, len(chunk))
    return size
