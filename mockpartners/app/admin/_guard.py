"""Who may drive the admin API: never a web page, and nobody without the token when one is set.

The API listens next to a browser on developers' laptops. A page the browser shows can send requests to
it: cross-origin POSTs (``text/plain``, no preflight) and, by DNS rebinding (a name of the attacker's that
turns to 127.0.0.1), same-origin reads of its answers. Both once worked: ``Host: rebind.evil.example`` read
MAGDA's PKCS#12 passwords, a cross-origin POST advanced the clock. The rules:

- **Host.** Without a token, a request's ``Host`` must be ``localhost``, an IP address (a browser sends one
  only to that very address), the address the API is bound to, or a name given with
  ``--admin-allowed-host`` (``*``: any). A rebinding page's Host is the attacker's name: refused (403).
  With a token any Host is accepted: a page cannot know the token, and a container is reached by names
  the suite cannot know (a compose service name, a published port's host).
- **Token beyond loopback.** Bound to anything but a loopback address, the API always has a token (the
  suite generates one into ``STATE/admin-token`` when none is given).
- **The dashboard's cookie.** A browser may carry the token in a cookie (set once from ``?token=`` on a
  dashboard page, :mod:`mockpartners.app.dashboard`): ``SameSite=Strict``, so no other site's page makes
  the browser send it, and the Origin rule below holds for it as for the bearer header.
- **Origin.** A POST, PUT, PATCH or DELETE that a browser marks as coming from another origin (an ``Origin``
  other than the API's own, or ``Sec-Fetch-Site: cross-site`` / ``same-site``) is refused (403), token or
  not. The API sends no CORS headers, ever, and refuses OPTIONS (a CORS preflight) with a 403.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
from collections.abc import Collection
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ...infra.atomic import open_regular
from ..dashboard import COOKIE, enter, is_open, is_page, token_matches
from ._http import error_response

__all__ = ["authentication", "browser_guard", "is_loopback", "lasting_token"]

_SAFE_METHODS = frozenset({"GET", "HEAD"})
_SAME_SITE = frozenset({"same-origin", "none"})  # none: typed in the address bar, or not a browser


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the API on this machine (a name other than localhost may
    resolve to anything, so it does not)."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def lasting_token(path: Path) -> str:
    """The token kept in ``path`` by an earlier run (clients that read it keep working after a restart),
    or a new random one."""
    with contextlib.suppress(OSError, UnicodeDecodeError), open_regular(path) as handle:
        kept = handle.read(1024).decode().strip()
        if kept and kept.isprintable():
            return kept
    return secrets.token_urlsafe(32)


def _host_name(header: str) -> str:
    """The name or address of a Host header, without its port, brackets or final dot."""
    text = header.strip().lower()
    if text.startswith("["):
        inside, bracket, _ = text[1:].partition("]")
        return inside if bracket else text
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        text = name
    return text.rstrip(".")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _host_refusal(request: web.Request, allowed: frozenset[str]) -> str | None:
    """Why the request's Host is refused, or None."""
    headers = request.headers.getall("Host", [])
    if len(headers) > 1:
        return "more than one Host header"
    if not headers or "*" in allowed:
        return None  # no Host: HTTP/1.0 or a raw client, never a browser
    name = _host_name(headers[0])
    if name == "localhost" or _is_address(name) or name in allowed:
        return None
    return (
        f"the Host header {headers[0]!r} is not allowed: without a token the admin API answers only to "
        "localhost, IP addresses, its own address and the names given with --admin-allowed-host "
        "(this stops DNS rebinding by web pages)"
    )


def _origin_refusal(request: web.Request) -> str | None:
    """Why a state change is refused as coming from a web page of another origin, or None."""
    origin = request.headers.get("Origin")
    own = f"http://{request.headers.get('Host', '')}".lower()
    if origin is not None and origin.strip().lower() != own:
        return f"a request from the web page origin {origin!r} may not change anything (the API is {own})"
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.strip().lower() not in _SAME_SITE:
        return f"a request the browser marks as {site!r} (Sec-Fetch-Site) may not change anything"
    return None


def browser_guard(*, token: str | None, bound_host: str, allowed_hosts: Collection[str]) -> Middleware:
    """Refuse what only a web page would send: a foreign Host (without a token), a cross-origin state
    change, a CORS preflight."""
    allowed = frozenset(_host_name(name) for name in (*allowed_hosts, bound_host) if name.strip())
    checks_host = token is None

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = _host_refusal(request, allowed) if checks_host else None
        if refusal is None and request.method == "OPTIONS":
            refusal = "OPTIONS is refused: the admin API serves no web pages and allows no cross-origin use"
        if refusal is None and request.method not in _SAFE_METHODS:
            refusal = _origin_refusal(request)
        if refusal is not None:
            return error_response(403, refusal)
        return await handler(request)

    return guard


def _bearer(request: web.Request) -> str | None:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given if scheme.lower() == "bearer" else None


def authentication(token: str | None) -> Middleware:
    """A bearer token, or the dashboard's cookie that holds it, on every route but ``GET /health`` (health
    checks carry no secret) and the dashboard's static files; a dashboard page without either says how
    to get in (the token once in its address)."""
    expected = token.encode() if token else None

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if expected is None or (request.method == "GET" and request.path == "/health") or is_open(request):
            return await handler(request)
        if token_matches(_bearer(request), expected) or token_matches(request.cookies.get(COOKIE), expected):
            return await handler(request)
        if is_page(request):
            return await enter(request, expected)
        return error_response(
            401,
            "missing or wrong bearer token: send 'Authorization: Bearer TOKEN' "
            "(the token is in the file endpoints.json names as admin.token_file)",
            {"WWW-Authenticate": 'Bearer realm="mockpartners"'},
        )

    return check
