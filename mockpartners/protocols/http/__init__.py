"""The HTTP adapter: aiohttp on the suite's loop, HTTP or HTTPS, one web application per endpoint (chosen
by name in :data:`APPLICATIONS`), every connection a session and every request journalled."""

from ._apps import APPLICATIONS, Application
from ._server import HttpServer

__all__ = ["APPLICATIONS", "Application", "HttpServer"]
