"""Routes of what the partner keeps on its side: the file states of an account (the XFB gateway's B, T, E;
the TEDECO agent's mail statuses) and the partner's own desk, outside every home (its spool: what it took
from the inboxes), read-only.

The desk is the partner's, never a client's: it is listed and read here and nowhere written. Paths are
plain and relative, as in the files routes; symbolic links are described, never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from ...kernel.partner import Partner
from ._http import CONTROL, Conflict, NotFound, json_response, parameters
from ._routes_files import home_path, listing_entry

__all__ = ["ROUTES"]


def _states(partner: Partner, username: str) -> dict[str, Any]:
    """Every state the partner keeps for the account, of every kind (``states``); and, for the XFB gateway,
    its files by name as this route gave them before TEDECO's statuses joined (``folder``, ``files``)."""
    if not partner.stateful_files:
        raise Conflict(
            f"{partner.name} keeps no file states (only partners with a file-states or tedeco processor do)"
        )
    answer: dict[str, Any] = {
        "account": username,
        "folders": {keeper.state_kind: list(keeper.state_folders) for keeper in partner.stateful_files},
        "states": [
            asdict(state) for keeper in partner.stateful_files for state in keeper.file_states(username)
        ],
    }
    if partner.file_states is not None:
        answer.update(folder=partner.file_states.spec.folder, files=partner.file_states.states(username))
    return answer


async def file_states(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    username = control.account(partner, request.match_info["account"])
    return json_response(await control.run(_states, partner, username))


def _inside(partner: Partner, path: str) -> Path:
    """The desk's file or folder at ``path``, never through a link."""
    current = partner.spool
    for part in path.split("/") if path else []:
        current = current / part
        if current.is_symlink():
            raise NotFound(f"no such file or folder in {partner.name}'s desk: {path}")
    if not os.path.lexists(current):
        raise NotFound(f"no such file or folder in {partner.name}'s desk: {path or '(the desk)'}")
    return current


def _desk(partner: Partner, path: str) -> bytes | dict[str, Any]:
    """A desk folder's listing, or a desk file's bytes."""
    if not partner.spool.is_dir():
        return {"partner": partner.name, "folder": path, "entries": []}
    target = _inside(partner, path)
    if stat.S_ISDIR(os.lstat(target).st_mode):
        entries = [listing_entry(target / name) for name in sorted(os.listdir(target))]
        return {"partner": partner.name, "folder": path, "entries": entries}
    return target.read_bytes()


async def desk(request: web.Request) -> web.StreamResponse:
    values = parameters(request, ("folder",))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    path = home_path(request.match_info.get("path") or values.get("folder", ""), "path")
    content = await control.run(_desk, partner, path)
    if isinstance(content, dict):
        return json_response(content)
    return web.Response(body=content, content_type="application/octet-stream")


ROUTES = [
    ("GET", "/v1/partners/{partner}/accounts/{account}/file-states", file_states),
    ("GET", "/v1/partners/{partner}/desk", desk),
    ("GET", "/v1/partners/{partner}/desk/{path:.*}", desk),
]
