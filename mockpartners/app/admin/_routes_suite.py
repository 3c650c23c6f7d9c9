"""Routes about the suite as a whole: health, the OpenAPI document, endpoints, partners, resets and
server certificates."""

from __future__ import annotations

import functools
from dataclasses import asdict
from importlib import resources
from typing import Any

import yaml
from aiohttp import web

from ..clients import commands_of
from ._bodies import json_body
from ._http import CONTROL, Conflict, Control, flag_field, json_response, parameters
from ._routes_clock import clock_state

__all__ = ["ROUTES", "openapi_document"]


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The hand-written OpenAPI document shipped with the package (read once)."""
    text = resources.files("mockpartners.app.admin").joinpath("openapi.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


async def health(request: web.Request) -> web.Response:
    """Open even when a token is required: container health checks carry no secret."""
    parameters(request, ())
    control = request.app[CONTROL]
    journal = await control.run(lambda: control.journal.health())
    return json_response({"status": "ok", "partners": list(control.suite.partners), "journal": journal})


async def openapi(request: web.Request) -> web.Response:
    """The document, pointing at the address the client used (which differs inside a container)."""
    parameters(request, ())
    document = {**openapi_document(), "servers": [{"url": str(request.url.origin())}]}
    return json_response(document)


async def endpoints(request: web.Request) -> web.Response:
    """What endpoints.json says, for clients that cannot read the state directory."""
    parameters(request, ())
    control = request.app[CONTROL]
    info = await control.run(lambda: control.suite.info)
    return json_response(asdict(info))


async def partners(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    infos = await control.run(lambda: [partner.info() for partner in control.suite.partners.values()])
    return json_response({"partners": [asdict(info) for info in infos]})


async def partner(request: web.Request) -> web.Response:
    parameters(request, ())
    control = request.app[CONTROL]
    chosen = control.partner(request.match_info["partner"])
    return json_response(asdict(await control.run(chosen.info)))


async def commands(request: web.Request) -> web.Response:
    """Paste-ready client settings per account and endpoint (OpenSSH, curl, lftp, WinSCP, FileZilla)."""
    parameters(request, ())
    control = request.app[CONTROL]
    chosen = control.partner(request.match_info["partner"])
    info = await control.run(chosen.info)
    return json_response({"partner": chosen.name, "accounts": commands_of(info)})


def _reset(control: Control, partner: str | None) -> int:
    """Reset, then the journal's newest id: a cursor from which only what follows the reset is seen."""
    control.suite.reset(partner)
    return control.journal.last_id()


async def reset_all(request: web.Request) -> web.Response:
    """Every partner back to fresh and the clock back to the wall clock; the journal is kept."""
    parameters(request, ())
    await json_body(request, ())
    control = request.app[CONTROL]
    last_id = await control.run(_reset, control, None)
    return json_response(
        {"reset": list(control.suite.partners), "clock": clock_state(control.suite.clock), "last_id": last_id}
    )


async def reset_partner(request: web.Request) -> web.Response:
    parameters(request, ())
    await json_body(request, ())
    control = request.app[CONTROL]
    chosen = control.partner(request.match_info["partner"])
    last_id = await control.run(_reset, control, chosen.name)
    return json_response({"reset": [chosen.name], "last_id": last_id})


async def renew_certificate(request: web.Request) -> web.Response:
    """A new server certificate for an FTPS partner, served to every new connection from now on."""
    parameters(request, ())
    body = await json_body(request, ("new_issuing_ca",))
    control = request.app[CONTROL]
    chosen = control.partner(request.match_info["partner"])
    if not chosen.profile.needs("tls"):
        raise Conflict(f"{chosen.name} serves no FTPS endpoint: it has no server certificate to renew")
    credentials = await control.run(
        chosen.renew_server_certificate, new_issuing_ca=flag_field(body, "new_issuing_ca")
    )
    server = credentials.server
    return json_response(
        {
            "partner": chosen.name,
            "common_name": server.common_name,
            "sha256": server.sha256,
            "issuer": server.issuer,
            "not_after": server.not_after.isoformat(),
            "certificate_file": str(server.certificate_path),
            "ca_file": str(credentials.root.certificate_path),
        }
    )


ROUTES = [
    ("GET", "/health", health),
    ("GET", "/openapi.json", openapi),
    ("GET", "/v1/endpoints", endpoints),
    ("GET", "/v1/partners", partners),
    ("GET", "/v1/partners/{partner}", partner),
    ("GET", "/v1/partners/{partner}/commands", commands),
    ("POST", "/v1/reset", reset_all),
    ("POST", "/v1/partners/{partner}/reset", reset_partner),
    ("POST", "/v1/partners/{partner}/certificate/renew", renew_certificate),
]
