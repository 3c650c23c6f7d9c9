"""Routes of the journal: read events with the CLI's filters and a cursor, or long-poll for the next one.

Without ``after`` a read returns the newest events (like ``mockpartners journal --last N``); with ``after``
it pages forward from that cursor, oldest first, so a client that keeps passing the returned ``cursor``
sees every event exactly once.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...infra.journal import Event, Journal, Query
from ._http import CONTROL, integer, json_response, parameters, seconds

__all__ = ["FILTERS", "MAXIMUM_LIMIT", "ROUTES", "page", "query_of"]

FILTERS = ("partner", "kind", "account", "path", "session", "outcome", "ref")
DEFAULT_LIMIT = 1000
MAXIMUM_LIMIT = 10000
DEFAULT_WAIT = 10.0
MAXIMUM_WAIT = 120.0


def query_of(request: web.Request, values: dict[str, str]) -> Query:
    """The filters as a journal query; ``kind`` may repeat or hold a comma-separated list."""
    kinds = [kind.strip() for text in request.query.getall("kind", []) for kind in text.split(",")]
    kinds = [kind for kind in kinds if kind]
    ref = integer(values, "ref", 0) if "ref" in values else None
    return Query(
        kind=kinds[0] if len(kinds) == 1 else kinds or None,
        partner=values.get("partner"),
        account=values.get("account"),
        session=values.get("session"),
        path=values.get("path"),
        outcome=values.get("outcome"),
        ref=ref,
        after=integer(values, "after", 0),
    )


def page(journal: Journal, query: Query, limit: int, forward: bool) -> tuple[list[Event], bool]:
    """At most ``limit`` events, and whether more matched. The newest ``limit + 1`` tell cheaply whether
    all events after the cursor fit; only a long backlog is read in full to page forward."""
    if limit == 0:
        return [], bool(journal.events(query, limit=1))
    newest = journal.events(query, limit=limit + 1)
    if len(newest) <= limit:
        return newest, False
    if not forward:
        return newest[1:], True
    return journal.events(query)[:limit], True


def _read(journal: Journal, query: Query, limit: int, forward: bool) -> dict[str, Any]:
    found, more = page(journal, query, limit, forward)
    return {
        "events": [event.to_dict() for event in found],
        "cursor": found[-1].id if found else query.after,
        "more": more,
        "last_id": journal.last_id(),
    }


async def events(request: web.Request) -> web.Response:
    values = parameters(request, (*FILTERS, "after", "limit"))
    query = query_of(request, values)
    limit = integer(values, "limit", DEFAULT_LIMIT, maximum=MAXIMUM_LIMIT)
    control = request.app[CONTROL]
    return json_response(await control.run(_read, control.journal, query, limit, "after" in values))


async def wait(request: web.Request) -> web.Response:
    """A long poll: 200 with the first matching event after the cursor, or 408 when none came in time."""
    values = parameters(request, (*FILTERS, "after", "timeout"))
    query = query_of(request, values)
    timeout = seconds(values, "timeout", DEFAULT_WAIT, cap=MAXIMUM_WAIT)
    event = await request.app[CONTROL].wait_for(query, timeout)
    return json_response({"event": event.to_dict(), "cursor": event.id})


ROUTES = [
    ("GET", "/v1/journal", events),
    ("GET", "/v1/journal/wait", wait),
]
