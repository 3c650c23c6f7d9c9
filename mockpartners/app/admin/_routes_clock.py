"""Routes of the virtual clock: read it, freeze it, advance it (retention and late answers run at once),
let it flow again, or put it back on the wall clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ...infra.clock import Clock
from ...model.duration import Duration
from ...model.errors import UsageError
from ._bodies import json_body
from ._http import CONTROL, Control, json_response, parameters, text_field

__all__ = ["ROUTES", "clock_state"]


def clock_state(clock: Clock) -> dict[str, Any]:
    return {
        "now": clock.now().isoformat(timespec="milliseconds"),
        "frozen": clock.frozen,
        "shifted": clock.shifted,
    }


def _moment(text: str) -> datetime:
    """An ISO 8601 moment; one without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"at: not an ISO 8601 date and time: {text!r} (e.g. 2026-01-31T09:00:00Z)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def show(request: web.Request) -> web.Response:
    parameters(request, ())
    return json_response(clock_state(request.app[CONTROL].suite.clock))


def _planned(control: Control) -> list[dict[str, Any]]:
    """Every partner's jobs waiting on the clock, soonest first."""
    jobs = [
        {
            "partner": name,
            "name": job.name,
            "due": due.isoformat(timespec="seconds"),
            "every": str(job.every) if job.every is not None else None,
        }
        for name, partner in control.suite.partners.items()
        for due, job in partner.scheduler.planned()
    ]
    return sorted(jobs, key=lambda job: str(job["due"]))


async def planned(request: web.Request) -> web.Response:
    """What advancing the clock would set off: retention sweeps, answers due, exports, by due moment."""
    parameters(request, ())
    control = request.app[CONTROL]
    return json_response({**clock_state(control.suite.clock), "jobs": await control.run(_planned, control)})


async def freeze(request: web.Request) -> web.Response:
    parameters(request, ())
    body = await json_body(request, ("at",))
    at = text_field(body, "at")
    control = request.app[CONTROL]
    await control.run(control.suite.clock.freeze, _moment(at) if at is not None else None)
    return json_response(clock_state(control.suite.clock))


async def advance(request: web.Request) -> web.Response:
    parameters(request, ())
    body = await json_body(request, ("by",))
    by = body.get("by")
    if by is None:
        raise UsageError("the field 'by' is required: a duration such as 15m, 61d or 2 months")
    if not isinstance(by, str | int | float) or isinstance(by, bool):
        raise UsageError(f"by: expected a duration such as 15m, 61d or 2 months, got {by!r}")
    step = Duration.parse(by)
    control = request.app[CONTROL]
    await control.run(control.suite.clock.advance, step)
    return json_response({**clock_state(control.suite.clock), "advanced_by": str(step)})


async def _without_arguments(request: web.Request, action: Callable[[Clock], None]) -> web.Response:
    """The routes that take nothing: unfreeze and reset."""
    parameters(request, ())
    await json_body(request, ())
    control = request.app[CONTROL]
    await control.run(action, control.suite.clock)
    return json_response(clock_state(control.suite.clock))


async def unfreeze(request: web.Request) -> web.Response:
    return await _without_arguments(request, Clock.unfreeze)


async def reset(request: web.Request) -> web.Response:
    return await _without_arguments(request, Clock.reset)


ROUTES = [
    ("GET", "/v1/clock", show),
    ("GET", "/v1/clock/jobs", planned),
    ("POST", "/v1/clock/freeze", freeze),
    ("POST", "/v1/clock/advance", advance),
    ("POST", "/v1/clock/unfreeze", unfreeze),
    ("POST", "/v1/clock/reset", reset),
]
