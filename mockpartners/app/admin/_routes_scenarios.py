"""Routes of a partner's scenarios: list them, read one, switch one on (PUT, with parameters) or off
(DELETE). Switching is journalled (``scenario.on``, ``scenario.off``) by the partner itself."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...model.errors import UsageError
from ._bodies import json_body
from ._http import CONTROL, json_response, parameters

__all__ = ["ROUTES"]

SCENARIO = "/v1/partners/{partner}/scenarios/{name}"


def _parameters(body: dict[str, Any]) -> dict[str, Any]:
    values = body.get("parameters", {})
    if not isinstance(values, dict):
        raise UsageError(f"parameters: expected a JSON object of name: value, got {values!r}")
    return values


async def list_scenarios(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    available = await control.run(partner.scenarios.available)
    return json_response({"partner": partner.name, "scenarios": [info.to_dict() for info in available]})


async def get_scenario(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    info = await control.run(partner.scenarios.info, request.match_info["name"])
    return json_response(info.to_dict())


async def switch_on(request: web.Request) -> web.Response:
    """On with the parameters given (the others keep their defaults); on again re-applies them."""
    parameters(request, ())
    body = await json_body(request, ("parameters",))
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    info = await control.run(partner.scenarios.on, request.match_info["name"], **_parameters(body))
    return json_response(info.to_dict())


async def switch_off(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    partner = control.partner(request.match_info["partner"])
    info = await control.run(partner.scenarios.off, request.match_info["name"])
    return json_response(info.to_dict())


ROUTES = [
    ("GET", "/v1/partners/{partner}/scenarios", list_scenarios),
    ("GET", SCENARIO, get_scenario),
    ("PUT", SCENARIO, switch_on),
    ("DELETE", SCENARIO, switch_off),
]
