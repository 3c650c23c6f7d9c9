"""The web applications an HTTP endpoint may serve, by name (its ``application``): each adds its routes to
the endpoint's aiohttp application and works through the endpoint's port (sessions, the account book)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["APPLICATIONS", "ENTRIES", "Application", "application_routes"]


class Application(Protocol):
    """Adds a web application's routes for one endpoint."""

    def __call__(self, server: HttpServer) -> list[web.RouteDef]: ...


APPLICATIONS: dict[str, tuple[str, str]] = {
    "xfb-gateway": ("._xfb", "xfb_gateway"),
    "aireppnet": ("._aireppnet", "aireppnet"),
}
"""Application name -> (module, function) of its routes, imported on first use."""

ENTRIES: dict[str, str] = {
    "xfb-gateway": "/depot-xt?user={user}&password={password}",
    "aireppnet": "/",
}
"""Where a client starts on each application (``{user}``, ``{password}``: the account's), for the
cheat-sheet's and the dashboard's commands."""


def application_routes(name: str, server: HttpServer) -> list[web.RouteDef]:
    """The routes of application ``name`` for this endpoint (the profile loader checked the name)."""
    module, function = APPLICATIONS[name]
    routes: Application = getattr(importlib.import_module(module, __package__), function)
    return routes(server)
