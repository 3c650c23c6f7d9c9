"""Routes of the suite's mail outbox (docs/mail.md): list, show, download as ``.eml``, wait for, clear.
Showing a mail or downloading it is a read (``mail.read``, the XFB contract's "mails read"); a list is not.

The outbox's Python API reads files and waits on the journal, so every handler hands it to a worker thread;
a wait is a long poll in slices, so that a stopping suite never waits for it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...infra.outbox import MailSummary, attachment, describe
from ...model.errors import JournalTimeout, UsageError
from ._http import CONTROL, Control, json_response, parameters, seconds

__all__ = ["ROUTES"]

FILTERS = ("to", "subject", "partner", "after")
DEFAULT_WAIT = 10.0
MAXIMUM_WAIT = 120.0
DEFAULT_READER = "admin-api"
_READER_LENGTH = 64


def _filters(values: dict[str, str]) -> dict[str, str | None]:
    return {name: values.get(name) for name in FILTERS}


async def listing(request: web.Request) -> web.Response:
    """The stored mails, oldest first, filtered by recipient, subject (parts, any case) or partner."""
    values = parameters(request, FILTERS)
    control = request.app[CONTROL]
    found = await control.run(lambda: control.suite.outbox.messages(**_filters(values)))
    return json_response({"mails": [summary.to_dict() for summary in found]})


def _reader(values: dict[str, str]) -> str:
    """Who reads, as ``mail.read`` names them: ``admin-api`` unless the caller says (``cli``)."""
    reader = values.get("reader", DEFAULT_READER).strip()
    if not reader or len(reader) > _READER_LENGTH or not reader.isprintable():
        raise UsageError(f"reader: expected a name of 1 to {_READER_LENGTH} printable characters, e.g. cli")
    return reader


def _shown(control: Control, mail_id: str, reader: str) -> dict[str, Any]:
    outbox = control.suite.outbox
    shown = {**outbox.summary(mail_id).to_dict(), **describe(outbox.message(mail_id))}
    outbox.mark_read(mail_id, reader)
    return shown


def _raw(control: Control, mail_id: str, reader: str) -> bytes:
    data = control.suite.outbox.raw(mail_id)
    control.suite.outbox.mark_read(mail_id, reader)
    return data


async def show(request: web.Request) -> web.Response:
    """One mail: its headers, its text body, its attachments' names and sizes. A read (``mail.read``)."""
    reader = _reader(parameters(request, ("reader",)))
    control = request.app[CONTROL]
    return json_response(await control.run(_shown, control, request.match_info["id"], reader))


async def raw(request: web.Request) -> web.Response:
    """One mail as stored, for a mail client (``message/rfc822``). A read (``mail.read``)."""
    reader = _reader(parameters(request, ("reader",)))
    control = request.app[CONTROL]
    mail_id = request.match_info["id"]
    data = await control.run(_raw, control, mail_id, reader)
    disposition = f'attachment; filename="{mail_id}.eml"'
    return web.Response(
        body=data, content_type="message/rfc822", headers={"Content-Disposition": disposition}
    )


def _attachment(control: Control, mail_id: str, index: int) -> tuple[str, bytes]:
    return attachment(control.suite.outbox.message(mail_id), index)


async def attachment_file(request: web.Request) -> web.Response:
    """One attachment's bytes, always as a download (``application/octet-stream``): an HTML attachment
    shown in the page would run in the API's own origin."""
    parameters(request, ())
    control = request.app[CONTROL]
    index = int(request.match_info["index"])
    name, data = await control.run(_attachment, control, request.match_info["id"], index)
    safe = "".join(character if character.isalnum() or character in "._-" else "_" for character in name)
    headers = {"Content-Disposition": f'attachment; filename="{safe}"', "X-Content-Type-Options": "nosniff"}
    return web.Response(body=data, content_type="application/octet-stream", headers=headers)


def _wait(control: Control, values: dict[str, str], timeout: float) -> dict[str, Any]:
    """The first mail matching, waited for in the control's slices (a stopping suite ends the poll)."""

    def stored_within(seconds: float) -> MailSummary | None:
        try:
            return control.suite.outbox.wait_for(**_filters(values), timeout=seconds)
        except JournalTimeout:
            return None

    wanted = ", ".join(f"{name}={value!r}" for name, value in values.items() if name != "timeout")
    missing = f"no mail ({wanted or 'any'}) reached the outbox within {timeout:g} s"
    return control.in_slices(stored_within, timeout, missing).to_dict()


async def wait(request: web.Request) -> web.Response:
    """A long poll: 200 with the first stored mail matching, or 408 when none came in time."""
    values = parameters(request, (*FILTERS, "timeout"))
    timeout = seconds(values, "timeout", DEFAULT_WAIT, cap=MAXIMUM_WAIT)
    control = request.app[CONTROL]
    return json_response(await control.run_waiting(_wait, control, values, timeout))


async def clear(request: web.Request) -> web.Response:
    """Empty the outbox (a suite reset does it too); the journal keeps the mails' events."""
    parameters(request, ())
    control = request.app[CONTROL]
    count = await control.run(control.suite.outbox.clear)
    return json_response({"cleared": count, "last_id": control.journal.last_id()})


ROUTES = [
    ("GET", "/v1/mail", listing),
    ("DELETE", "/v1/mail", clear),
    ("GET", "/v1/mail/wait", wait),
    ("GET", r"/v1/mail/{id:\d+}.eml", raw),
    ("GET", r"/v1/mail/{id:\d+}", show),
    ("GET", r"/v1/mail/{id:\d+}/attachments/{index:\d+}", attachment_file),
]
