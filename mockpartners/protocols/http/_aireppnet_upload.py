"""A file sent to the AIREPPNET portal: one file with its file type, routed to that type's inbox ("le type
de fichier ... L'ordonnanceur se chargera de les adresser sur le bon serveur INSEE", TASK Collectivités'
guide, section F), its name checked against the type's pattern, the inter-file delay ("Temporisation
inter-fichiers : 60") kept as the profile says.

Every outcome is one ``partner.transfer`` event (the transfer log and the acknowledgements are read from
the journal): ``ok``, or ``refused`` with a ``refusal`` code (``unknown-type``, ``no-file``, ``bad-name``,
``type-refused``, ``too-close``, ``one-file``, ``empty``, ``storage``, ``session-expired``: the scenario
ended the session while the file was on its way, and the portal kept nothing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from ...infra.journal import Event
from ...model._aireppnet import FileType, Portal
from ...ports.session import Session
from ...scenarios import names
from ._deposit import DepositRefused, field_text, file_name, form_parts, incoming_file, sent_file_name

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["TRANSFER", "UploadRefused", "last_transfer", "receive_upload"]

TRANSFER = "partner.transfer"
_CHUNK = 1 << 16


@dataclass
class UploadRefused(Exception):
    """A file the portal does not take: the page says why (``status``), the journal says ``refusal``."""

    refusal: str
    reason: str
    status: int = 400
    path: str | None = None
    detail: dict[str, Any] | None = None
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.reason


@dataclass
class _Upload:
    """What the portal knows of the file on its way: its type, names, inbox path and fate."""

    key: str
    file_type: FileType
    local_name: str
    name: str
    lost: bool = False

    @property
    def path(self) -> str:
        return f"{self.file_type.folder}/{self.name}"

    def detail(self) -> dict[str, Any]:
        item = self.file_type
        return {"file_type": self.key, "label": item.label, "profile": item.profile, "server": item.server,
                "local_name": self.local_name}  # fmt: skip


async def receive_upload(server: HttpServer, portal: Portal, request: web.Request, session: Session) -> Event:
    """Read the form (its ``type`` before its ``fichier``, as the portal's page orders them) and take the
    file into its type's inbox; the ``partner.transfer`` event of a file taken, or :class:`UploadRefused`."""
    if not request.content_type.startswith("multipart/"):
        said = "envoyez le formulaire du portail (multipart/form-data) : aucun fichier"
        raise UploadRefused("no-file", said)
    fields: dict[str, str] = {}
    try:
        parts = form_parts(request)
        async for part in parts:
            if part.filename is None:
                fields[part.name or ""] = await field_text(part)
                continue
            upload = _checked(server, portal, session, fields.get("type", ""), sent_file_name(part))
            return await _take(server, session, upload, part, parts)
    except DepositRefused as refused:
        raise UploadRefused("no-file", str(refused)) from None
    raise UploadRefused("no-file", "aucun fichier : choisissez le fichier \u00e0 envoyer (no file)")


def _checked(server: HttpServer, portal: Portal, session: Session, key: str, given: str) -> _Upload:
    """The file's type and name, refused here before a byte of it is kept."""
    file_type = portal.file_types.get(key)
    if file_type is None:
        known = ", ".join(portal.file_types)
        said = f"type de fichier inconnu du portail : {key!r} (unknown file type; known: {known})"
        raise UploadRefused("unknown-type", said)
    upload = _Upload(key, file_type, given, file_name(given))
    refused = partial(UploadRefused, path=upload.path, detail=upload.detail())
    wrong_type = server.partner.scenarios.active(names.WRONG_FILE_TYPE)
    if wrong_type is not None and wrong_type["type"] in ("", key):
        raise refused("type-refused", f"type de fichier {file_type.label} non autoris\u00e9 pour cette "
                      f"collectivit\u00e9 (scenario {names.WRONG_FILE_TYPE})", 403)  # fmt: skip
    if not file_type.accepts(upload.name):
        raise refused("bad-name", _bad_name(portal, file_type, upload.name))
    too_close = _too_close(server, portal, session)
    if too_close is not None:
        outcome, wait = too_close
        if outcome == "refused":
            said = (
                f"temporisation inter-fichiers non respect\u00e9e : attendez {wait} s avant le fichier "
                "suivant (inter-file delay not kept)"
            )
            raise refused("too-close", said, 429, retry_after=wait)
        upload.lost = outcome == "lost"
    return upload


def _bad_name(portal: Portal, file_type: FileType, name: str) -> str:
    said = (
        f"nom de fichier {name!r} refus\u00e9 pour le type {file_type.label} : attendu un nom comme "
        f"{file_type.name_example} (file name not valid for this file type)"
    )
    other = next((item for item in portal.file_types.values() if item.accepts(name)), None)
    if other is not None:
        said += f" ; ce nom est celui d'un fichier {other.label}, choisissez ce type"
    return said


def _too_close(server: HttpServer, portal: Portal, session: Session) -> tuple[str, int] | None:
    """What happens to a file sent within the inter-file delay of the collectivité's previous one (the
    profile's ``too_close``, or the scenario's), and how many seconds are left; None when it is not."""
    forced = server.partner.scenarios.active(names.FILES_TOO_CLOSE)
    delay = portal.inter_file_delay
    if forced is not None:
        return str(forced["outcome"]), int(delay.total_seconds())
    previous = last_transfer(server, session.account or "")
    if previous is None or portal.too_close == "accepted":
        return None
    due, now = delay.after(previous), server.partner.clock.now()
    if due <= now:
        return None
    return portal.too_close, max(1, int((due - now).total_seconds() + 0.999))


def last_transfer(server: HttpServer, username: str) -> datetime | None:
    """When the collectivité's previous file was taken (the journal since the partner's reset)."""
    taken = server.partner.journal.events(
        kind=TRANSFER, partner=server.partner.name, account=username, outcome="ok", limit=1
    )
    return taken[0].time if taken else None


async def _take(
    server: HttpServer, session: Session, upload: _Upload, part: BodyPartReader,
    rest: AsyncIterator[BodyPartReader],
) -> Event:  # fmt: skip
    """The file into its inbox; the rest of the form read before it counts (a second file refuses both)."""
    detail = upload.detail()
    try:
        async with incoming_file(
            server, session, f"/{upload.path}", hashed=True, file_type=upload.key
        ) as file:
            await file.take(partial(part.read_chunk, _CHUNK))
            async for extra in rest:
                if extra.filename is not None:
                    raise UploadRefused("one-file", "un seul fichier par envoi (one file per upload)",
                                        path=upload.path, detail=detail)  # fmt: skip
                await extra.release()
            if server.partner.scenarios.active(names.SESSION_EXPIRED) is not None:
                why = f"scenario {names.SESSION_EXPIRED}: the session ended during the upload"
                raise UploadRefused(names.SESSION_EXPIRED, why, 401, path=upload.path, detail=detail)
    except DepositRefused as refused:
        code = "empty" if str(refused) == "the file is empty" else "storage"
        raise UploadRefused(code, str(refused), path=upload.path, detail=detail) from None
    assert file.digest is not None  # hashed=True
    sha256 = file.digest.hexdigest()
    if upload.lost:
        file.location.real.unlink(missing_ok=True)
    event = session.record(TRANSFER, upload.path, size=file.size, sha256=sha256, progress=100, **detail)
    if upload.lost:
        reason = "sent within the inter-file delay of the previous file: lost by the portal"
        server.partner.journal.record(
            "partner.lost", account=session.account, path=upload.path, ref=event.id, reason=reason
        )
    return event
