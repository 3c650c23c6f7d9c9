"""The French treasury's XFB gateway, ``/depot-xt``: what TASK Collectivités' guide shows of it (section
B/3: "Envoi d'un fichier" or "Réception d'un fichier", the credentials in the query, as
``/depot-xt?user=XXXXXXXX&password=XXXXXXXX``).

This first part serves the menu behind the credentials; deposits, retrieval and file states come next
(docs/partners/xfb.md says what holds so far).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["xfb_gateway"]

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
        query = html.escape(f"?user={username}&password={request.query.get('password', '')}", quote=True)
        body = (
            "<H1>XFB Gateway</H1>\n"
            f'<A HREF="/depot-xt/send{query}">Envoi d\'un fichier</A><BR>\n'
            f'<A HREF="/depot-xt/receive{query}">R\xe9ception d\'un fichier</A>'
        )
        return _page("XFB Gateway", body)

    return [web.get("/depot-xt", menu)]


def _logged_in(server: HttpServer, request: web.Request) -> str:
    """The account the query's ``user`` and ``password`` log in as, or the refusal page (401): the gateway
    asks for them on every request, so each one is checked."""
    session = server.session_of(request)
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
