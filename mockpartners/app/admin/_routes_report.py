"""Routes of the contract reports: JSON (with ``passed``), text as ``mockpartners report`` prints it, or
JUnit XML for CI dashboards."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence

from aiohttp import web

from ...kernel.contract import ContractReport
from ...kernel.partner import Partner
from ...model.errors import UsageError
from ._http import CONTROL, integer, json_response, parameters

__all__ = ["ROUTES"]

FORMATS = ("json", "text", "junit")


def _combined(partners: Sequence[Partner], after: int | None) -> ContractReport:
    reports = [partner.report(after=after) for partner in partners]
    return functools.reduce(operator.add, reports) if reports else ContractReport(())


def _render(report: ContractReport, form: str) -> web.Response:
    """The report in the format asked; the verdict also travels in a header for text and XML readers."""
    headers = {"X-Contract-Passed": "true" if report.passed else "false"}
    if form == "json":
        return json_response(report.to_dict(), headers=headers)
    if form == "text":
        return web.Response(text=report.to_text(), content_type="text/plain", headers=headers)
    return web.Response(text=report.to_junit(), content_type="application/xml", headers=headers)


def _format(values: dict[str, str]) -> str:
    form = values.get("format", "json")
    if form not in FORMATS:
        raise UsageError(f"format: expected one of {', '.join(FORMATS)}, got {form!r}")
    return form


def _after(values: dict[str, str]) -> int | None:
    """Reports start at the latest start or reset unless ``after`` (an event id) says otherwise."""
    return integer(values, "after", 0) if "after" in values else None


async def suite_report(request: web.Request) -> web.Response:
    values = parameters(request, ("partner", "format", "after"))
    control = request.app[CONTROL]
    if "partner" in values:
        chosen = [control.partner(values["partner"])]
    else:
        chosen = list(control.suite.partners.values())
    form = _format(values)
    return _render(await control.run(_combined, chosen, _after(values)), form)


async def partner_report(request: web.Request) -> web.Response:
    values = parameters(request, ("format", "after"))
    control = request.app[CONTROL]
    chosen = control.partner(request.match_info["partner"])
    form = _format(values)
    return _render(await control.run(_combined, [chosen], _after(values)), form)


ROUTES = [
    ("GET", "/v1/report", suite_report),
    ("GET", "/v1/partners/{partner}/report", partner_report),
]
