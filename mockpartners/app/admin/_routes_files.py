"""Routes of an account's files, as the partner sees them, and of publications.

Writes here are the partner's own (no folder right applies) and are journalled like every partner-side
action; a file put into an inbox is taken like an upload. Paths are home-relative, '/'-separated and
plain: an absolute path, a '.' or '..' component, an empty one or a backslash is a 400 (aiohttp decodes
%2F and %2E%2E before the route sees them, so ``files/%2Fetc%2Fx`` arrives as ``/etc/x``). The account's
home then refuses names that cannot exist and links that leave it. Drops land in folders that exist.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from ...infra.journal import Event, Query
from ...kernel.files import AccountFiles
from ...kernel.partner import Partner
from ...model.errors import MockPartnersError, UsageError
from ...ports.storage import Location
from ._bodies import json_body
from ._http import CONTROL, Conflict, NotFound, json_response, parameters, text_field
from ._uploads import receive

__all__ = ["ROUTES", "home_path", "listing_entry"]

FILES = "/v1/partners/{partner}/accounts/{account}/files"


def home_path(text: str, what: str = "path") -> str:
    """``text`` if it is a plain home-relative path ('' is the home itself), else a UsageError (400)."""
    if "\\" in text:
        raise UsageError(f"{what} {text!r}: a backslash is not a separator here; separate folders with '/'")
    if text.startswith("/"):
        raise UsageError(f"{what} {text!r} is absolute: give it relative to the account's home (OUT/X.ACK)")
    parts = text.split("/") if text else []
    if "" in parts:
        raise UsageError(f"{what} {text!r} has an empty component (a doubled or trailing '/')")
    if "." in parts or ".." in parts:
        raise UsageError(f"{what} {text!r}: '.' and '..' are refused; name the file from the home down")
    return text


def _file_error(error: OSError, location: Location, username: str) -> MockPartnersError:
    """A file-system refusal as one of our errors, naming the path the client asked for."""
    where = f"{location.relative or 'the home folder'} (account {username})"
    if isinstance(error, FileNotFoundError):
        return NotFound(f"no such file or folder: {where}")
    if isinstance(error, IsADirectoryError):
        return Conflict(f"{where} is a folder")
    if isinstance(error, NotADirectoryError | FileExistsError):
        return Conflict(f"{where}: a file stands where a folder is needed")
    return Conflict(f"{where}: {error.strerror or error}")


def listing_entry(path: Path) -> dict[str, Any]:
    """One listing line; symbolic links are described, never followed."""
    status = os.lstat(path)
    kind = "folder" if stat.S_ISDIR(status.st_mode) else "file" if stat.S_ISREG(status.st_mode) else "other"
    return {
        "name": path.name,
        "type": kind,
        "size": status.st_size if kind == "file" else None,
        "modified": datetime.fromtimestamp(status.st_mtime, UTC).isoformat(timespec="seconds"),
    }


def _listing(files: AccountFiles, folder: str) -> dict[str, Any]:
    location = files.home.resolve(folder)
    try:
        names = sorted(os.listdir(location.real))
        entries = [listing_entry(location.real / name) for name in names]
    except OSError as error:
        raise _file_error(error, location, files.username) from None
    return {"account": files.username, "folder": location.relative, "entries": entries}


def _read(files: AccountFiles, path: str) -> bytes | dict[str, Any]:
    """A file's bytes, or a folder's listing."""
    location = files.home.resolve(path)
    if location.real.is_dir():
        return _listing(files, path)
    try:
        return files.read(path)
    except OSError as error:
        raise _file_error(error, location, files.username) from None


def _drop_target(files: AccountFiles, path: str) -> str:
    """Where a drop lands, checked before a byte of the body is read: a file in a folder that exists.
    The home-relative path, as the journal names it."""
    location = files.home.resolve(path)
    where = f"{location.relative or 'the home folder'}"
    if location.is_root or location.real.is_dir():
        raise Conflict(f"{where} is a folder: put a file inside it")
    folder = location.real.parent
    if not folder.is_dir():
        if folder.exists():
            raise Conflict(f"{where} (account {files.username}): a file stands where a folder is needed")
        raise NotFound(
            f"no folder {location.folder!r} in the home of account {files.username}: "
            "a drop never creates folders"
        )
    return location.relative


def _put(files: AccountFiles, path: str, source: Path) -> Event:
    location = files.home.resolve(path)
    try:
        return files.drop_file(path, source)
    except OSError as error:
        raise _file_error(error, location, files.username) from None


def _remove(files: AccountFiles, path: str) -> Event:
    location = files.home.resolve(path)
    if location.is_root or location.real.is_dir():
        raise Conflict(f"{location.relative or 'the home folder'} is a folder: only files can be removed")
    journal = files.partner.journal
    cursor = journal.last_id()
    try:
        files.remove(path)
    except OSError as error:
        raise _file_error(error, location, files.username) from None
    query = Query(
        kind="partner.remove",
        partner=files.partner.name,
        account=files.username,
        path=location.relative,
        after=cursor,
    )
    return journal.events(query, limit=1)[0]


def _files(request: web.Request) -> AccountFiles:
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    return control.files(partner, request.match_info["account"])


async def list_folder(request: web.Request) -> web.Response:
    values = parameters(request, ("folder",))
    files = _files(request)
    folder = home_path(values.get("folder", ""), "folder")
    return json_response(await request.app[CONTROL].run(_listing, files, folder))


async def get_file(request: web.Request) -> web.Response:
    parameters(request, ())
    files = _files(request)
    content = await request.app[CONTROL].run(_read, files, home_path(request.match_info["path"]))
    if isinstance(content, dict):
        return json_response(content)
    return web.Response(body=content, content_type="application/octet-stream")


async def put_file(request: web.Request) -> web.Response:
    """The body is streamed to a private file, then moved into place (never held in memory)."""
    parameters(request, ())
    files = _files(request)
    path = home_path(request.match_info["path"])
    control = request.app[CONTROL]
    relative = await control.run(_drop_target, files, path)
    upload = await receive(request, control, files, relative)
    try:
        event = await control.run(_put, files, path, upload)
    finally:
        with contextlib.suppress(FileNotFoundError):
            upload.unlink()
    return json_response({"event": event.to_dict()}, status=201)


async def delete_file(request: web.Request) -> web.Response:
    parameters(request, ())
    files = _files(request)
    event = await request.app[CONTROL].run(_remove, files, home_path(request.match_info["path"]))
    return json_response({"event": event.to_dict()})


def _content(body: dict[str, Any]) -> bytes:
    text = text_field(body, "content")
    encoded = text_field(body, "content_base64")
    if (text is None) == (encoded is None):
        raise UsageError("give exactly one of 'content' (text) or 'content_base64' (bytes in base64)")
    if text is not None:
        return text.encode()
    try:
        return base64.b64decode(encoded or "", validate=True)
    except binascii.Error as error:
        raise UsageError(f"content_base64: not valid base64 ({error})") from None


def _publish(
    partner: Partner, files: AccountFiles, path: str, data: bytes, account: str | None
) -> list[Event]:
    """The partner's publication, in one account's home or (no account) in every account's home."""
    location = files.home.resolve(path)
    if location.is_root or location.real.is_dir():
        raise Conflict(f"{location.relative or 'the home folder'} is a folder: publish a file inside it")
    try:
        return partner.publish(path, data, account=account)
    except OSError as error:
        raise _file_error(error, location, files.username) from None


async def publish(request: web.Request) -> web.Response:
    parameters(request, ())
    body = await json_body(request, ("path", "content", "content_base64", "account"))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    path = home_path(text_field(body, "path", required=True) or "")
    account = text_field(body, "account")
    data = _content(body)
    files = control.files(partner, account or partner.accounts.usernames()[0])
    published = await control.run(_publish, partner, files, path, data, account)
    return json_response({"events": [event.to_dict() for event in published]}, status=201)


async def _for_an_account(
    request: web.Request, action: Callable[[Partner, str | None], list[Event]]
) -> web.Response:
    """A partner-side action on every account, or on ``account``: its events, ``201``."""
    parameters(request, ())
    body = await json_body(request, ("account",))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    events = await control.run(action, partner, text_field(body, "account"))
    return json_response({"events": [event.to_dict() for event in events]}, status=201)


async def export(request: web.Request) -> web.Response:
    """The partner's exports now (``kind: export``): a file in each export folder of every account, or of
    ``account`` only."""
    return await _for_an_account(request, lambda partner, account: partner.export(account))


async def exchange(request: web.Request) -> web.Response:
    """Lucca's "Serveur client" now: connect to the customers' servers, push exports, pull imports."""
    return await _for_an_account(request, lambda partner, account: partner.exchange(account))


async def scan(request: web.Request) -> web.Response:
    """INSEE's TEDECO spool scanned now (it scans every second anyway): what it found and took."""
    return await _for_an_account(request, lambda partner, account: partner.scan(account))


async def make_available(request: web.Request) -> web.Response:
    """The XFB gateway's "remise à disposition" by the S.A.U.: a file back in state B."""
    parameters(request, ())
    await json_body(request, ())  # like every POST: a JSON body (here an empty object)
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    event = await control.run(partner.make_available, username, request.match_info["name"])
    return json_response({"event": event.to_dict()})


ROUTES = [
    ("GET", FILES, list_folder),
    ("GET", FILES + "/{path:.*}", get_file),
    ("PUT", FILES + "/{path:.*}", put_file),
    ("DELETE", FILES + "/{path:.*}", delete_file),
    ("POST", "/v1/partners/{partner}/publications", publish),
    ("POST", "/v1/partners/{partner}/exports", export),
    ("POST", "/v1/partners/{partner}/exchanges", exchange),
    ("POST", "/v1/partners/{partner}/scans", scan),
    ("POST", "/v1/partners/{partner}/accounts/{account}/available/{name}", make_available),
]
