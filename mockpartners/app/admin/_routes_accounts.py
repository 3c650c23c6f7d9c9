"""Routes of a partner's accounts: list, create, read, change, remove, while the partner serves.

Every change goes through the partner's account book, which checks it as a profile's account (a change
that would leave the account unable to log in anywhere is a 400 saying why), journals it
(``account.created``, ``account.changed``, ``account.removed``) and applies it to the next login on every
protocol; ``cut_sessions`` also ends the account's live sessions. endpoints.json follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from functools import partial
from typing import Any

from aiohttp import web

from ...infra.endpoints import AccountInfo
from ...kernel.partner import Partner
from ...model.errors import UsageError
from ...ports.accounts import KEEP
from ._bodies import json_body
from ._http import CONTROL, flag_field, json_response, parameters, text_field

__all__ = ["ROUTES"]

ACCOUNTS = "/v1/partners/{partner}/accounts"
ACCOUNT = ACCOUNTS + "/{account}"

_CHANGEABLE = (
    "password",
    "public_keys",
    "endpoints",
    "ip_allowlist",
    "auth",
    "description",
    "name",
    "remote_folders",
    "server",
)
_LISTS = ("public_keys", "endpoints", "ip_allowlist", "auth")
_FOLDER_FIELDS = ("name", "path", "use", "rights", "description")
FOLDERS = ACCOUNT + "/remote-folders"
FOLDER = FOLDERS + "/{folder}"


def _view(partner: Partner, account: AccountInfo) -> dict[str, Any]:
    """The account as endpoints.json shows it, and how many sessions are logged in as it now."""
    return {**asdict(account), "live_sessions": partner.accounts.live_sessions(account.username)}


def _strings(body: Mapping[str, Any], name: str) -> list[str] | None:
    """A list of strings, or null (what null means depends on the field: every endpoint, any address)."""
    value = body[name]
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{name}: expected a list of strings or null, got {value!r}"[:300])
    return value


def _folders(value: Any) -> list[dict[str, Any]]:
    """Remote folders: a list of objects (name, path, use...), checked as a profile's."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UsageError('remote_folders: expected a list of objects like {"name": ..., "path": "/a/b"}')
    return value


def _server(value: Any) -> dict[str, Any] | None:
    """Lucca's "Serveur client": host, type, login, password or private_key... (null: hosted here)."""
    if value is not None and not isinstance(value, dict):
        raise UsageError(
            'server: expected an object like {"host": ..., "type": "sftp", "login": ...} or null'
        )
    return value


def _password(body: Mapping[str, Any]) -> str | bool | None:
    """A password, true (generate one) or null (none)."""
    value = body["password"]
    if value is not None and not isinstance(value, str | bool):
        raise UsageError(
            f"password: expected a string, true (generate one) or null, got {type(value).__name__}"
        )
    return value


def _fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The account fields present in ``body``, typed; absent ones are left out (unchanged)."""
    fields: dict[str, Any] = {}
    for name in _CHANGEABLE:
        if name not in body:
            continue
        if name in _LISTS:
            fields[name] = _strings(body, name)
        elif name == "password":
            fields[name] = _password(body)
        elif name == "remote_folders":
            fields[name] = _folders(body[name])
        elif name == "server":
            fields[name] = _server(body[name])
        else:
            fields[name] = text_field(body, name) or ""
    if fields.get("public_keys", ()) is None:
        fields["public_keys"] = []  # null: no key
    return fields


async def list_accounts(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    views = await control.run(lambda: [_view(partner, account) for account in partner.info().accounts])
    return json_response({"partner": partner.name, "accounts": views})


async def get_account(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    return json_response(await control.run(lambda: _view(partner, partner.account(username))))


def _create(partner: Partner, username: str, fields: dict[str, Any], certificate: bool) -> dict[str, Any]:
    partner.accounts.create(username, certificate=certificate, **fields)
    return _view(partner, partner.account(username))


async def create_account(request: web.Request) -> web.Response:
    """A new account, usable at once on the endpoints it may use (``password: true`` generates one); a
    ``preset`` of the profile gives the fields the body does not."""
    parameters(request, ())
    body = await json_body(request, ("username", "certificate", "preset", *_CHANGEABLE))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = text_field(body, "username", required=True) or ""
    fields = _fields(body)
    if "preset" in body:
        fields["preset"] = text_field(body, "preset")
    certificate = flag_field(body, "certificate")
    return json_response(await control.run(_create, partner, username, fields, certificate), status=201)


def _change(
    partner: Partner, username: str, login: str | None, fields: dict[str, Any], cut_sessions: bool
) -> dict[str, Any]:
    """A new login first (``username`` in the body: Lucca's "Editer le compte"), then the other fields."""
    if login is not None and login != username:
        username = partner.accounts.rename(username, login).username
    if fields or cut_sessions:
        partner.accounts.change(
            username, cut_sessions=cut_sessions, **{name: fields.get(name, KEEP) for name in _CHANGEABLE}
        )
    return _view(partner, partner.account(username))


async def change_account(request: web.Request) -> web.Response:
    """Change what the body gives; new logins see it at once, live sessions are cut on request."""
    parameters(request, ())
    body = await json_body(request, (*_CHANGEABLE, "username", "cut_sessions"))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    login = text_field(body, "username")
    fields = _fields(body)
    cut = flag_field(body, "cut_sessions")
    if not fields and login is None and not cut:
        raise UsageError(f"nothing to change in account {username!r}: give at least one field")
    return json_response(await control.run(_change, partner, username, login, fields, cut))


def _remove(partner: Partner, username: str, cut_sessions: bool) -> dict[str, Any]:
    view = _view(partner, partner.account(username))
    partner.accounts.remove(username, cut_sessions=cut_sessions)
    return {**view, "removed": True}


async def remove_account(request: web.Request) -> web.Response:
    """The account can no longer log in; ``?cut_sessions=true`` also ends its live sessions."""
    values = parameters(request, ("cut_sessions",))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    cut = values.get("cut_sessions", "false")
    if cut not in ("true", "false"):
        raise UsageError(f"cut_sessions: expected true or false, got {cut!r}")
    return json_response(await control.run(_remove, partner, username, cut == "true"))


def _folder_change(partner: Partner, username: str, edit: Callable[[], object]) -> dict[str, Any]:
    edit()
    return _view(partner, partner.account(username))


async def add_remote_folder(request: web.Request) -> web.Response:
    """Lucca's "Editer les dossiers distants": a new remote folder, created at once."""
    parameters(request, ())
    body = await json_body(request, _FOLDER_FIELDS)
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    edit = partial(partner.accounts.add_remote_folder, username, body)
    return json_response(await control.run(_folder_change, partner, username, edit), status=201)


async def change_remote_folder(request: web.Request) -> web.Response:
    """A remote folder (by name or path) with a new name, path, use or rights; the old path keeps its
    files."""
    parameters(request, ())
    body = await json_body(request, _FOLDER_FIELDS)
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    folder = request.match_info["folder"]
    edit = partial(partner.accounts.change_remote_folder, username, folder, **body)
    return json_response(await control.run(_folder_change, partner, username, edit))


async def remove_remote_folder(request: web.Request) -> web.Response:
    """The account no longer has this remote folder; its files stay on the server."""
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    folder = request.match_info["folder"]
    edit = partial(partner.accounts.remove_remote_folder, username, folder)
    return json_response(await control.run(_folder_change, partner, username, edit))


ROUTES = [
    ("GET", ACCOUNTS, list_accounts),
    ("POST", ACCOUNTS, create_account),
    ("GET", ACCOUNT, get_account),
    ("PATCH", ACCOUNT, change_account),
    ("DELETE", ACCOUNT, remove_account),
    ("POST", FOLDERS, add_remote_folder),
    ("PATCH", FOLDER, change_remote_folder),
    ("DELETE", FOLDER, remove_remote_folder),
]
