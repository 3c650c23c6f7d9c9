"""How a browser gets in when the admin API has a token: once by URL, then by cookie.

A trainer opens ``http://HOST:8470/dashboard/?token=T`` (the cheat-sheet prints where T is kept). The token
is checked, kept in a cookie and the browser sent to the same address without it, so the token does not
stay in the address bar, the history or a screenshot. The cookie is ``HttpOnly`` (no script reads it),
``SameSite=Strict`` (no other site's page makes the browser send it: with the guard's Origin checks, a
cross-site request is refused twice over) and ``Secure`` when the page came over TLS. The authentication
middleware accepts it like the bearer header.
"""

from __future__ import annotations

import hmac
from html import escape

from aiohttp import web

__all__ = ["COOKIE", "PREFIX", "STATIC", "enter", "is_open", "is_page", "token_matches"]

COOKIE = "mockpartners-admin-token"
PREFIX = "/dashboard"
STATIC = f"{PREFIX}/static/"
_TOKEN_PARAMETER = "token"


def is_page(request: web.Request) -> bool:
    """A dashboard page (HTML) a browser asks for: answered with a page, not JSON, when it is refused."""
    return request.method in ("GET", "HEAD") and (
        request.path in ("/", PREFIX) or request.path.startswith(f"{PREFIX}/")
    )


def is_open(request: web.Request) -> bool:
    """The dashboard's style sheet and scripts: the package's own source, no secret, needed by the page
    that asks for the token."""
    return request.method in ("GET", "HEAD") and request.path.startswith(STATIC)


def token_matches(given: str | None, expected: bytes) -> bool:
    return given is not None and hmac.compare_digest(given.strip().encode(), expected)


def _without_token(request: web.Request) -> str:
    query = {name: value for name, value in request.query.items() if name != _TOKEN_PARAMETER}
    return str(request.rel_url.with_query(query))


def _refused(request: web.Request, why: str) -> web.Response:
    """An HTML page saying how to get in: a 401, like the API's own refusal."""
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>mockpartners: token needed</title>"
        f"<link rel='stylesheet' href='{STATIC}dashboard.css'></head><body><main class='login'>"
        f"<h1>mockpartners dashboard</h1><p class='error'>{escape(why)}</p>"
        "<p>This suite's admin API has a token. Open the dashboard once with it in the address: "
        f"<code>{escape(str(request.url.origin()))}{PREFIX}/?token=TOKEN</code>. The token is in the file "
        "<code>endpoints.json</code> names as <code>admin.token_file</code> "
        "(under <code>mockpartners up</code>: <code>.mockpartners/admin-token</code>).</p>"
        "</main></body></html>"
    )
    return web.Response(
        status=401,
        text=page,
        content_type="text/html",
        headers={"WWW-Authenticate": 'Bearer realm="mockpartners"', "Cache-Control": "no-store"},
    )


async def enter(request: web.Request, expected: bytes) -> web.StreamResponse:
    """A page asked without a valid bearer header or cookie: the token in the URL sets the cookie and
    sends the browser to the address without it; no token, or a wrong one, gets a page that says how."""
    given = request.query.get(_TOKEN_PARAMETER)
    if given is None:
        return _refused(request, "This page needs the admin token.")
    if not token_matches(given, expected):
        return _refused(request, "The token in the address is not this suite's admin token.")
    response = web.Response(
        status=303, headers={"Location": _without_token(request), "Cache-Control": "no-store"}
    )
    response.set_cookie(
        COOKIE, given.strip(), path="/", httponly=True, samesite="Strict", secure=request.secure
    )
    return response
