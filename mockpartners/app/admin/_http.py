"""What every route handler shares: the suite, the threads its blocking Python API runs on, and how
requests are read and errors become HTTP answers.

The partners' Python API is synchronous and some of it waits on the suite's loop (servers reacting to a
scenario), so handlers never call it on the loop itself: they hand it to :meth:`Control.run`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from ...infra.journal import Event, Journal, Query
from ...infra.limits import StorageRefused
from ...kernel.files import AccountFiles
from ...model.errors import (
    JournalTimeout,
    MockPartnersError,
    ProfileError,
    UnknownAccountError,
    UnknownMailError,
    UnknownPartnerError,
    UnknownScenarioError,
    UsageError,
)
from ...ports.storage import AccessRefused
from ._settings import AdminLimits

if TYPE_CHECKING:
    from ...kernel.partner import Partner
    from ...kernel.suite import Suite

__all__ = [
    "CONTROL",
    "Conflict",
    "Control",
    "NotFound",
    "Stopping",
    "TooLarge",
    "TooSlow",
    "UnsupportedType",
    "error_response",
    "json_response",
    "parameters",
    "status_for",
]

_T = TypeVar("_T")
_WAIT_SLICE = 0.5
"""Long polls wait in slices this long, so a stopping suite never waits for a two-minute poll."""


class NotFound(MockPartnersError):
    """Something the request names does not exist (an account, a file)."""


class Conflict(MockPartnersError):
    """The request cannot apply to the thing as it is (a folder where a file is expected)."""


class Stopping(MockPartnersError):
    """The suite is stopping: no new work is taken."""


class TooLarge(MockPartnersError):
    """A request body over its limit (JSON bodies and file uploads have their own)."""


class TooSlow(MockPartnersError):
    """A request body that stopped arriving: its connection is not held open for ever."""


class UnsupportedType(MockPartnersError):
    """A body that is not labelled as the route expects (``Content-Type: application/json``)."""


class Control:
    """The running suite as the handlers reach it, and the limits its requests live within."""

    def __init__(self, suite: Suite, limits: AdminLimits) -> None:
        self.suite = suite
        self.limits = limits
        self.uploads = suite.state.path / "admin-uploads"
        """Where file uploads are streamed before they take their place: private, on the homes' disk."""
        self.stopping = threading.Event()
        self._work = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mockpartners-admin")
        self._waits = ThreadPoolExecutor(max_workers=64, thread_name_prefix="mockpartners-admin-wait")

    @property
    def journal(self) -> Journal:
        journal = self.suite.journal
        if journal is None or self.stopping.is_set():
            raise Stopping("the suite is stopping")
        return journal

    async def run(self, function: Callable[..., _T], *arguments: Any, **keywords: Any) -> _T:
        """Call the suite's blocking Python API in a worker thread, keeping the loop free for clients."""
        if self.stopping.is_set():
            raise Stopping("the suite is stopping")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._work, functools.partial(function, *arguments, **keywords))

    async def run_waiting(self, function: Callable[..., _T], *arguments: Any) -> _T:
        """Like :meth:`run`, for a long poll: on the waits' own threads, never holding a worker."""
        if self.stopping.is_set():
            raise Stopping("the suite is stopping")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waits, functools.partial(function, *arguments))

    async def wait_for(self, query: Query, timeout: float) -> Event:
        """The first event matching ``query``, waiting up to ``timeout`` seconds (a long poll)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waits, self._wait_for, query, timeout)

    def _wait_for(self, query: Query, timeout: float) -> Event:
        missing = f"no journal event matched {query.describe()} within {timeout:g} s"
        return self.in_slices(
            lambda seconds: self.journal.next_event(query, timeout=seconds), timeout, missing
        )

    def in_slices(self, wait: Callable[[float], _T | None], timeout: float, missing: str) -> _T:
        """What ``wait`` finds within ``timeout`` seconds, asked in half-second slices so that a stopping
        suite ends a long poll at once; :class:`JournalTimeout` saying ``missing`` when nothing came."""
        deadline = time.monotonic() + timeout
        while not self.stopping.is_set():
            remaining = deadline - time.monotonic()
            found = wait(max(0.0, min(remaining, _WAIT_SLICE)))
            if found is not None:
                return found
            if remaining <= _WAIT_SLICE:
                raise JournalTimeout(missing)
        raise Stopping("the suite is stopping")

    def partner(self, name: str) -> Partner:
        partner = self.suite.partners.get(name)
        if partner is None:
            raise UnknownPartnerError(
                f"no partner {name!r} in this suite (it runs {', '.join(self.suite.partners)})"
            )
        return partner

    def account(self, partner: Partner, username: str) -> str:
        """``username`` if the partner has that account: unknown names never reach the file tree."""
        return partner.accounts.entry(username).username

    def files(self, partner: Partner, username: str) -> AccountFiles:
        return partner.files(self.account(partner, username))

    def close(self) -> None:
        """Refuse new work and wait for the worker threads (long polls end within half a second)."""
        self.stopping.set()
        self._waits.shutdown(wait=True, cancel_futures=True)
        self._work.shutdown(wait=True, cancel_futures=True)


CONTROL = web.AppKey("control", Control)


def status_for(error: MockPartnersError) -> int:
    """The HTTP status of one of our errors."""
    if isinstance(error, AccessRefused):
        return {"invalid_name": 400, "not_found": 404}.get(error.kind, 403)
    unknown = UnknownPartnerError | UnknownScenarioError | UnknownAccountError | UnknownMailError | NotFound
    if isinstance(error, unknown):
        return 404
    if isinstance(error, UsageError | ProfileError):
        return 400
    if isinstance(error, JournalTimeout | TooSlow):
        return 408
    if isinstance(error, TooLarge):
        return 413
    if isinstance(error, UnsupportedType):
        return 415
    if isinstance(error, StorageRefused):
        return 507
    if isinstance(error, Stopping):
        return 503
    return 409  # StateError, Conflict, and any other refusal of ours: the request does not fit the state


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """Every error body: ``{"error": "<one clear message>"}``."""
    return json_response({"error": message}, status, headers)


def parameters(request: web.Request, allowed: Collection[str]) -> dict[str, str]:
    """The query parameters (the last of each name), refusing names the route does not know: a typo
    in a filter would otherwise silently match everything."""
    unknown = sorted(set(request.query) - set(allowed))
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise UsageError(f"unknown query parameter(s) {', '.join(unknown)}; expected: {expected}")
    return {name: request.query.getall(name)[-1] for name in request.query}


def integer(values: Mapping[str, str], name: str, default: int, *, maximum: int | None = None) -> int:
    """A non-negative integer parameter."""
    text = values.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name}: expected a whole number, got {text!r}") from None
    if value < 0 or (maximum is not None and value > maximum):
        limit = f"0 to {maximum}" if maximum is not None else "0 or more"
        raise UsageError(f"{name}: expected {limit}, got {value}")
    return value


def seconds(values: Mapping[str, str], name: str, default: float, *, cap: float) -> float:
    """A non-negative number of seconds, capped at ``cap``."""
    text = values.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name}: expected a number of seconds, got {text!r}") from None
    if not value >= 0:  # also refuses nan
        raise UsageError(f"{name}: expected 0 or more seconds, got {text!r}")
    return min(value, cap)


def text_field(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise UsageError(f"the field {name!r} is required")
        return None
    if not isinstance(value, str):
        raise UsageError(f"{name}: expected a string, got {type(value).__name__}")
    return value


def flag_field(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise UsageError(f"{name}: expected true or false, got {value!r}")
    return value
