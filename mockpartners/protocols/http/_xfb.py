"""The French treasury's XFB gateway, ``/depot-xt``: what TASK Collectivités' guide shows of it (section
B/3: "Envoi d'un fichier" or "Réception d'un fichier", the credentials in the query, as
``/depot-xt?user=XXXXXXXX&password=XXXXXXXX``).

This part serves the menu behind the credentials, the sending form and deposits (:mod:`._deposit`);
retrieval, file states and mails come next (docs/partners/xfb.md says what holds so far).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiohttp import web

from ...scenarios import names
from ._deposit import DEPOSITS, DepositRefused, receive_deposit
from ._retrieval import available_page, send_file

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["received_page", "xfb_gateway"]

_PAGE = """<HTML><HEAD><TITLE>{title}</TITLE></HEAD>
<BODY>
{body}
</BODY></HTML>
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=_PAGE.format(title=html.escape(title), body=body), status=status, content_type="text/html",
        charset="iso-8859-1",
    )  # fmt: skip


def xfb_gateway(server: HttpServer) -> list[web.RouteDef]:
    async def menu(request: web.Request) -> web.Response:
        username = _logged_in(server, request)
        query = _credentials(username, request.query.get("password", ""))
        body = (
            "<H1>XFB Gateway</H1>\n"
            f'<A HREF="/depot-xt/send{query}">Envoi d\'un fichier</A><BR>\n'
            f'<A HREF="/depot-xt/receive{query}">R\xe9ception d\'un fichier</A>'
        )
        return _page("XFB Gateway", body)

    async def send_form(request: web.Request) -> web.Response:
        username = _logged_in(server, request)
        query = _credentials(username, request.query.get("password", ""))
        body = (
            "<H1>Envoi d'un fichier</H1>\n"
            f'<FORM METHOD="POST" ACTION="/depot-xt{query}" ENCTYPE="multipart/form-data">\n'
            'R\xe9f\xe9rence applicative : <INPUT TYPE="text" NAME="reference"><BR>\n'
            'Site de destination : <INPUT TYPE="text" NAME="site"><BR>\n'
            'Fichier : <INPUT TYPE="file" NAME="file"><BR>\n'
            '<INPUT TYPE="submit" VALUE="Envoyer">\n</FORM>'
        )
        return _page("Envoi d'un fichier", body)

    async def deposit(request: web.Request) -> web.Response:
        username = _logged_in(server, request)
        session = server.session_of(request)
        try:
            received = await receive_deposit(server, request, session)
        except DepositRefused as refused:
            session.record("partner.refuse", path=DEPOSITS, outcome="refused", reason=str(refused))
            return _not_received(str(refused))
        del received  # what the gateway does with it is its processors' (kind deposits): journal and mails
        return received_page(username, request.query.get("password", ""))

    async def receive(request: web.Request) -> web.Response:
        username = _logged_in(server, request)
        listing = available_page(server, username, request.query.get("password", ""))
        return _page("R\xe9ception d'un fichier", f"<H1>R\xe9ception d'un fichier</H1>\n{listing}")

    async def fetch(request: web.Request) -> web.StreamResponse:
        username = _logged_in(server, request)
        return await send_file(server, request, server.session_of(request), username)

    return [
        web.get("/depot-xt", menu),
        web.get("/depot-xt/send", send_form),
        web.post("/depot-xt", deposit),
        web.get("/depot-xt/receive", receive),
        web.get("/depot-xt/{name}", fetch),
    ]


def received_page(username: str, password: str) -> web.Response:
    """The gateway's own answer, as TASK Collectivités' trace shows it (section D/5)."""
    link = _credentials(username, password)
    text = (
        "<HTML>\n<HEAD>\n  <TITLE>File received correctly</TITLE>\n</HEAD>\n<BODY>\n<CENTER>\n"
        "<H1><FONT color=GREEN>File received</FONT></H1>\n"
        f'<A HREF="{link}">Continue ...</A>\n'
        "</CENTER>\n</BODY>\n</HTML>\n"
    )
    return web.Response(text=text, content_type="text/html", charset="iso-8859-1")


def _credentials(username: str, password: str) -> str:
    """The query every link of the gateway carries (the guide's ``?user=..&password=..``), for HTML."""
    return html.escape(f"?user={username}&password={password}", quote=True)


def _not_received(why: str) -> web.Response:
    body = f"<CENTER>\n<H1><FONT color=RED>File not received</FONT></H1>\n{html.escape(why)}\n</CENTER>"
    return _page("File not received", body, status=400)


def _logged_in(server: HttpServer, request: web.Request) -> str:
    """The account the query's ``user`` and ``password`` log in as, or the refusal page (401): the gateway
    asks for them on every request, so each one is checked."""
    session = server.session_of(request)
    if server.partner.scenarios.active(names.SESSION_EXPIRED) is not None:
        session.record("http.expired", outcome="refused", reason="scenario session-expired")
        raise _refused("Session expired", "your session expired: log in again")
    username = request.query.get("user", "")
    password = request.query.get("password", "")
    if not username:
        raise _refused("Authentication required", "user and password are missing from the address")
    reason = server.partner.accounts.refusal(
        username, "password", endpoint=server.name, address=session.address, password=password
    )
    session.auth_attempt(username, "password", not reason, reason)
    if reason:
        raise _refused("Authentication failed", "the user or the password is not right")
    if session.account is None:
        session.logged_in(username, "password", cut=lambda why: server.submit(_cut(server, request)))
    elif session.account != username:
        raise _refused("Authentication failed", "one connection serves one user: open another")
    return username


async def _cut(server: HttpServer, request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def _refused(title: str, why: str) -> web.HTTPUnauthorized:
    body = f"<H1><FONT color=RED>{html.escape(title)}</FONT></H1>\n{html.escape(why)}"
    text = _PAGE.format(title=html.escape(title), body=body)
    return web.HTTPUnauthorized(text=text, content_type="text/html")
