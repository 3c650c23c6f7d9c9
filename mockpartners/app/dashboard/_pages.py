"""The dashboard's pages: one HTML shell per view, and the static style sheet and scripts that fill it.

Every view is the same shell (navigation, the banner of scenarios switched on, a ``<main>`` naming the
view); the view's script reads the admin API and renders. Pages carry a Content-Security-Policy that allows
only this origin's scripts, styles and requests, and may not be framed (a switch one click away must not be
clickable through another site's page).
"""

from __future__ import annotations

import functools
import re
from html import escape
from importlib import resources

from aiohttp import web

from ._entry import PREFIX, STATIC

__all__ = ["ROUTES", "VIEWS"]

VIEWS: dict[str, str] = {
    "partners": "Partners",
    "journal": "Journal",
    "scenarios": "Scenarios",
    "clock": "Clock",
    "files": "Files",
    "mail": "Mail",
    "contract": "Contract",
    "accounts": "Accounts",
}
"""Each view's address under ``/dashboard/`` and its title, in the navigation's order."""

_STATIC_NAME = re.compile(r"^[a-z][a-z0-9-]*\.(js|css)$")
_CONTENT_TYPES = {"js": "text/javascript", "css": "text/css"}
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _navigation(current: str) -> str:
    links = []
    for slug, title in VIEWS.items():
        marker = ' aria-current="page"' if slug == current else ""
        links.append(f'<a href="{PREFIX}/{slug}"{marker}>{escape(title)}</a>')
    return "".join(links)


def _shell(view: str) -> str:
    title = VIEWS[view]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}: mockpartners</title>"
        f'<link rel="stylesheet" href="{STATIC}dashboard.css">'
        f'<script type="module" src="{STATIC}dashboard.js"></script></head>'
        f'<body><header><a class="brand" href="{PREFIX}/">mockpartners</a>'
        f"<nav>{_navigation(view)}</nav>"
        '<span id="clock-badge" class="badge"></span></header>'
        '<div id="banner" class="banner" hidden></div>'
        f'<main id="view" data-view="{view}"><h1>{escape(title)}</h1>'
        '<p id="status" class="status" role="status">Loading…</p><div id="content"></div></main>'
        "<footer>Every action here is a call to the admin API: "
        '<a href="/openapi.json">its OpenAPI document</a>.</footer></body></html>'
    )


async def root(request: web.Request) -> web.Response:
    """``/`` and ``/dashboard``: to the first view (the query, a token for instance, goes along)."""
    target = request.rel_url.with_path(f"{PREFIX}/{next(iter(VIEWS))}")
    return web.Response(status=303, headers={"Location": str(target), "Cache-Control": "no-store"})


async def page(request: web.Request) -> web.Response:
    view = request.match_info["view"]
    if view not in VIEWS:
        raise web.HTTPNotFound()
    return web.Response(text=_shell(view), content_type="text/html", headers=_PAGE_HEADERS)


@functools.cache
def _static(name: str) -> bytes | None:
    """A file of the package's ``static`` folder, read once; None for any other name."""
    if not _STATIC_NAME.match(name):
        return None
    resource = resources.files(__package__).joinpath("static", name)
    return resource.read_bytes() if resource.is_file() else None


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content = _static(name)
    if content is None:
        raise web.HTTPNotFound()
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    content_type = _CONTENT_TYPES[name.rpartition(".")[2]]
    return web.Response(body=content, content_type=content_type, charset="utf-8", headers=headers)


ROUTES = [
    ("GET", "/", root),
    ("GET", PREFIX, root),
    ("GET", f"{PREFIX}/", root),
    ("GET", PREFIX + "/{view:[a-z]+}", page),
    ("GET", STATIC + "{name}", static),
]
