"""Request bodies: JSON ones labelled, bounded and strict; file uploads streamed in bounded pieces.

A web page can send a cross-origin POST without asking first only as ``text/plain``, form data or nothing,
so every POST (and every JSON body) must say ``Content-Type: application/json``. JSON bodies are small
(1 MiB is plenty for any route) and read strictly: NaN, Infinity and nesting deeper than Python's parser
recurses are a 400, not a 500. A body that stops arriving is given up after the listener's timeout.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Collection
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ...model.errors import UsageError
from ._http import CONTROL, TooLarge, TooSlow, UnsupportedType

__all__ = ["MAXIMUM_FILE", "MAXIMUM_JSON", "ClientLeft", "body_chunks", "json_body"]

MAXIMUM_JSON = 2**20
"""The largest JSON body: a publication's content aside, every body is a few fields."""
MAXIMUM_FILE = 256 * 2**20
"""The largest file upload: any file a partner exchanges in tests, not a runaway upload."""


class ClientLeft(UsageError):
    """The client closed the connection before its body was complete."""


def _size(count: int) -> str:
    return f"{count // 2**20} MiB"


async def body_chunks(request: web.Request, maximum: int, what: str) -> AsyncIterator[bytes]:
    """The body as it arrives, refusing more than ``maximum`` bytes and a pause longer than the timeout."""
    if request.content_length is not None and request.content_length > maximum:
        raise TooLarge(f"{what} is limited to {_size(maximum)}; this one is {request.content_length} bytes")
    timeout = request.app[CONTROL].limits.header_timeout
    received = 0
    while True:
        try:
            async with asyncio.timeout(timeout):
                chunk = await request.content.readany()
        except TimeoutError:
            raise TooSlow(f"{what} stopped arriving: nothing came for {timeout:g} s") from None
        except (ConnectionError, HttpProcessingError) as error:
            raise ClientLeft(f"the client left after {received} bytes of {what} ({error})") from None
        if not chunk:
            return
        received += len(chunk)
        if received > maximum:
            raise TooLarge(f"{what} is limited to {_size(maximum)}")
        yield chunk


def require_json(request: web.Request) -> None:
    """Refuse a body that does not say it is JSON (415): what a web page sends without asking first."""
    if request.content_type != "application/json":
        given = request.headers.get("Content-Type")
        label = f"'{given}'" if given else "no Content-Type"
        raise UnsupportedType(
            f"{request.method} {request.path} takes a JSON body labelled 'Content-Type: application/json' "
            f"(got {label}; send '{{}}' for an empty one)"
        )


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


async def json_body(request: web.Request, allowed: Collection[str]) -> dict[str, Any]:
    """The request's JSON object ({} for an empty body), refusing fields the route does not know.

    Every POST must be labelled JSON, even an empty one; other methods only when they carry a body.
    """
    if request.method == "POST" or request.body_exists:
        require_json(request)
    raw = b"".join([chunk async for chunk in body_chunks(request, MAXIMUM_JSON, "a JSON body")])
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_constant, parse_float=_number)
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"the request body is not valid JSON: {error}") from None
    except RecursionError:
        raise UsageError("the request body is not valid JSON: it is nested too deeply") from None
    if not isinstance(data, dict):
        raise UsageError(f"the request body must be a JSON object, not {type(data).__name__}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise UsageError(f"unknown field(s) {', '.join(unknown)}; expected: {expected}")
    return data
