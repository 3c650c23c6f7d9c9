"""The journal as server-sent events (``GET /v1/journal/stream``): what the dashboard's live journal reads,
and what any client may follow without polling (``curl -N``, a browser's ``EventSource``).

Each event is sent once, oldest first, as ``id: N`` / ``event: journal`` / ``data: {...}`` (the event as
``GET /v1/journal`` gives it); a comment line every ``heartbeat`` seconds keeps proxies and idle timeouts
from closing a quiet stream. A reconnecting ``EventSource`` sends ``Last-Event-ID`` and resumes after it.
The stream waits on the journal the way ``/v1/journal/wait`` does (woken the moment an event is recorded,
in half-second slices so that a stopping suite or a client gone ends it at once), never polling SQLite in a
loop. Streams are bounded: each holds a waiting thread, so one client address may hold only a few.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from ...infra.journal import Event, Query
from ...infra.limits import ConnectionLimits
from ._http import CONTROL, Control, Stopping, integer, parameters
from ._routes_journal import FILTERS, MAXIMUM_LIMIT, page, query_of

__all__ = ["ROUTES", "STREAMS"]

_SLICE = 0.5
"""Seconds a wait lasts before the stream looks at the suite (stopping?) and the client (gone?)."""


_STREAM_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # a proxy in front (nginx) must pass events on at once
}


class Streams:
    """The open streams per client address, and in all (counted as a listener counts connections): over
    either cap, a 503 saying so."""

    def __init__(self, per_address: int, total: int) -> None:
        self.open = ConnectionLimits(per_address, total)

    @contextmanager
    def admitted(self, address: str) -> Iterator[None]:
        if self.open.admit(address) is not None:
            held = self.open.count(address)
            if held >= self.open.per_address:
                raise TooManyStreams(
                    f"{address} already follows the journal {held} times "
                    f"(at most {self.open.per_address} streams per address): close one first"
                )
            raise TooManyStreams(f"{self.open.total} journal streams are open: close one first")
        try:
            yield
        finally:
            self.open.release(address)


class TooManyStreams(Stopping):
    """A 503, like a connection over the listener's caps."""


STREAMS = web.AppKey("journal_streams", Streams)


def _next_events(control: Control, query: Query) -> list[Event]:
    """The events after the query's cursor, waiting one slice for the first (in a waiting thread)."""
    if control.journal.next_event(query, timeout=_SLICE) is None:
        return []
    found, _ = page(control.journal, query, MAXIMUM_LIMIT, forward=True)
    return found


def _frame(event: Event) -> bytes:
    data = json.dumps(event.to_dict(), ensure_ascii=False, default=str)
    return f"id: {event.id}\nevent: journal\ndata: {data}\n\n".encode()


async def _start(request: web.Request, values: dict[str, str]) -> int:
    """Where the stream starts: after ``Last-Event-ID`` (a reconnecting EventSource sends it, with the URL
    it first used: its ``after`` would replay what it saw), else after ``after``, else now."""
    resumed = request.headers.get("Last-Event-ID", "").strip()
    if resumed.isdigit():
        return int(resumed)
    if "after" in values:
        return integer(values, "after", 0)
    control = request.app[CONTROL]
    return await control.run(lambda: control.journal.last_id())


async def stream(request: web.Request) -> web.StreamResponse:
    values = parameters(request, (*FILTERS, "after"))
    control = request.app[CONTROL]
    query = query_of(request, {**values, "after": str(await _start(request, values))})
    address = request.remote or "unknown"
    with request.app[STREAMS].admitted(address):
        response = web.StreamResponse(headers=_STREAM_HEADERS)
        await response.prepare(request)
        await response.write(f"retry: 2000\n: following the journal after event {query.after}\n\n".encode())
        await _follow(request, response, control, query)
    return response


async def _follow(request: web.Request, response: web.StreamResponse, control: Control, query: Query) -> None:
    """Events as they come, a heartbeat when none came for a while, until the suite stops or the client
    leaves."""
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while not control.stopping.is_set():
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        try:
            found = await control.run_waiting(_next_events, control, query)
        except Stopping:
            return
        try:
            if found:
                await response.write(b"".join(_frame(event) for event in found))
                query = Query(**{**query.__dict__, "after": found[-1].id})
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= control.limits.heartbeat:
                await response.write(b": heartbeat\n\n")
                quiet_since = loop.time()
        except ConnectionError:
            return


ROUTES = [("GET", "/v1/journal/stream", stream)]
