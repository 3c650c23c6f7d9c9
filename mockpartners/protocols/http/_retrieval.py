"""Retrieval on the XFB gateway: the files the treasury made available (state B) listed with their
``local_ident``, each fetched as ``/depot-xt/NAME?local_ident=N&user=..&password=..`` (TASK Collectivités'
guide, D/5), sent without a Content-Length ("le serveur DGCP n'annonce pas la taille du fichier", D/4).
A whole download moves the file to T; asking for it again, as a double click does, moves it to E (B/3).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiohttp import web

from ...infra.atomic import open_regular
from ...ports.file_states import FileStatesPort
from ...ports.session import Session
from ...ports.storage import AccessRefused
from ._faults import chunk_moved

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["available_page", "send_file"]

_CHUNK = 1 << 16


def _states(server: HttpServer) -> FileStatesPort:
    if server.partner.file_states is None:
        raise web.HTTPNotFound(text="this gateway makes no file available")
    return server.partner.file_states


def available_page(server: HttpServer, username: str, password: str) -> str:
    """The page of files to fetch: a link per file, then how many there are."""
    credentials = f"user={username}&password={password}"
    lines = []
    for item in _states(server).available(username):
        link = html.escape(f"/depot-xt/{item.name}?local_ident={item.local_ident}&{credentials}", quote=True)
        lines.append(f'Fichier <A HREF="{link}">{html.escape(item.name)}</A> disponible<BR>')
    lines.append(f"{len(lines)} fichier(s) disponible(s) sur le serveur")
    return "\n".join(lines)


async def send_file(
    server: HttpServer, request: web.Request, session: Session, username: str
) -> web.StreamResponse:
    """The file in chunks, with no Content-Length; its state follows what happened."""
    name = request.match_info["name"]
    try:
        local_ident = int(request.query.get("local_ident", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="local_ident: expected the number the list of files gives") from None
    states = _states(server)
    decision = states.fetch(username, name, local_ident)
    if decision.refusal:
        session.record(
            "fs.open", f"{name}", "refused", mode="read", reason=decision.refusal, state=decision.state
        )
        raise web.HTTPNotFound(text=decision.refusal)
    try:
        with session.operation(
            "fs.open", f"/{decision.path}", "read", mode="read", local_ident=local_ident
        ) as op:
            handle = open_regular(op.location.real)
    except AccessRefused as refused:
        raise web.HTTPNotFound(text=refused.reason) from None
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.enable_chunked_encoding()
    sent, complete = 0, False
    try:
        with handle:
            await response.prepare(request)
            while chunk := handle.read(_CHUNK):
                await response.write(chunk)
                sent += len(chunk)
                await chunk_moved(server, session, len(chunk))
            await response.write_eof()
        complete = True
    finally:
        session.record("fs.close", decision.path, mode="read", bytes_read=sent, complete=complete)
        states.fetched(username, name, local_ident, complete=complete)
    return response
