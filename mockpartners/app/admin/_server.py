"""The admin HTTP server: the control plane of a running suite, served by aiohttp on the suite's loop.

Every answer is JSON (files and text reports aside) and every error is ``{"error": "<message>"}`` with a
status that says what went wrong; a bug of ours is a 500 with a message, never a traceback on the wire,
and never stops the partners' servers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler

from ...infra.http_listener import HttpListener
from ...model.errors import MockPartnersError, PortInUseError, UsageError
from .. import dashboard
from . import (
    _routes_accounts,
    _routes_clock,
    _routes_desk,
    _routes_files,
    _routes_journal,
    _routes_mail,
    _routes_report,
    _routes_scenarios,
    _routes_stream,
    _routes_suite,
)
from ._bodies import MAXIMUM_JSON
from ._guard import authentication, browser_guard, is_loopback
from ._http import CONTROL, Control, error_response, status_for
from ._listener import AdminGate
from ._settings import AdminLimits
from ._uploads import prepare

if TYPE_CHECKING:
    from ...kernel.suite import Suite

__all__ = ["AdminServer", "build_application"]

_LINGERING_SECONDS = 2.0
"""How long the unread rest of a refused upload is drained, for the client to read the answer, not a reset."""

ROUTES: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
    *_routes_suite.ROUTES,
    *_routes_journal.ROUTES,
    *_routes_stream.ROUTES,
    *_routes_mail.ROUTES,
    *_routes_files.ROUTES,
    *_routes_desk.ROUTES,
    *_routes_accounts.ROUTES,
    *_routes_scenarios.ROUTES,
    *_routes_clock.ROUTES,
    *_routes_report.ROUTES,
]

logger = logging.getLogger("mockpartners.app.admin")


def _http_message(request: web.Request, error: web.HTTPException) -> str:
    if isinstance(error, web.HTTPNotFound):
        return f"no route {request.method} {request.path}; every route is listed at /openapi.json"
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return f"the request body is larger than the {MAXIMUM_JSON // 2**20} MiB allowed"
    return error.reason


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as a JSON error; unexpected ones are logged with their traceback, server side."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        return error_response(error.status, _http_message(request, error), headers)
    except MockPartnersError as error:
        return error_response(status_for(error), str(error))
    except ConnectionResetError:  # the client left mid-request: nobody will read an answer
        logger.debug("admin API: %s %s: the client closed the connection", request.method, request.path)
        return error_response(400, "the client closed the connection before the request was read")
    except Exception as error:
        logger.exception("admin API: %s %s failed", request.method, request.path)
        return error_response(
            500, f"internal error ({type(error).__name__}: {error}); this is a bug of mockpartners"
        )


def build_application(
    control: Control, token: str | None, *, bound_host: str = "127.0.0.1", allowed_hosts: Sequence[str] = ()
) -> web.Application:
    guard = browser_guard(token=token, bound_host=bound_host, allowed_hosts=allowed_hosts)
    application = web.Application(
        middlewares=[_errors, guard, authentication(token)], client_max_size=MAXIMUM_JSON
    )
    application[CONTROL] = control
    limits = control.limits
    application[_routes_stream.STREAMS] = _routes_stream.Streams(limits.streams_per_address, limits.streams)
    for method, path, handler in [*ROUTES, *dashboard.ROUTES]:
        application.router.add_route(method, path, handler)
    return application


class AdminServer:
    """The control plane of ``suite``, listening on ``host:port`` (port 0: a free one).

    Beyond loopback it needs a token; without one it answers only to the Host names that
    :func:`~mockpartners.app.admin._guard.browser_guard` allows.
    """

    def __init__(
        self,
        suite: Suite,
        host: str,
        port: int,
        token: str | None,
        *,
        allowed_hosts: Sequence[str] = (),
        limits: AdminLimits | None = None,
    ) -> None:
        if not token and not is_loopback(host):
            raise UsageError(f"the admin API listens on {host}, beyond loopback: it needs a token")
        self.suite = suite
        self.host = host
        self.requested_port = port
        self.port = port
        self.token = token
        self.limits = limits or AdminLimits()
        self.control = Control(suite, self.limits)
        self.app = build_application(self.control, token, bound_host=host, allowed_hosts=allowed_hosts)
        self._runner: web.AppRunner | None = None
        self._listener: HttpListener | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        prepare(self.control.uploads)
        # the keep-alive timeout bounds the wait for the headers of every request after the first; the
        # lingering time, how long the rest of a refused body is read and thrown away: aiohttp keeps
        # reading for all of it even once the client has gone (aiohttp issue 1800), which held every stop
        runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=5,
            keepalive_timeout=self.limits.header_timeout,
            lingering_time=_LINGERING_SECONDS,
        )
        await runner.setup()
        listener = HttpListener(runner, AdminGate(self.limits))
        try:
            self.port = await listener.start(self.host, self.requested_port)
        except OSError as error:
            await runner.cleanup()
            ways_out = "--admin-port N, --ports ephemeral, or --no-admin"
            port = self.requested_port
            raise PortInUseError.binding("admin API", self.host, port, error, ways_out) from None
        self._runner = runner
        self._listener = listener

    async def stop(self) -> None:
        """Refuse new work, end long polls, let requests in flight finish (5 s at most), close."""
        self.control.stopping.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.get_running_loop().run_in_executor(None, self.control.close)
