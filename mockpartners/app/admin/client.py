"""A small client of the admin API, on the standard library only: what the CLI commands use, and what
Python scripts may use to drive a suite running in another process or a container.

It finds the API and its token in ``STATE/endpoints.json`` (``AdminClient.from_state``) or takes them as
given; every failure is a :class:`~mockpartners.model.errors.MockPartnersError` with a message complete on
its own.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...infra.endpoints import SuiteInfo
from ...model.errors import MockPartnersError, StateError

__all__ = ["TOKEN_VARIABLE", "AdminClient", "AdminError", "AdminUnreachable", "Reply", "route"]

TOKEN_VARIABLE = "MOCKPARTNERS_ADMIN_TOKEN"


class AdminError(MockPartnersError):
    """The API refused a request (HTTP 4xx or 5xx); the message is the API's own."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class AdminUnreachable(MockPartnersError):
    """Nothing answers at the API's address (no suite running, or another address)."""


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class AdminClient:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_state(cls, state_dir: str | Path, *, token: str | None = None) -> AdminClient:
        """The API of the suite serving ``state_dir``, as its endpoints.json tells."""
        path = Path(state_dir) / "endpoints.json"
        if not path.exists():
            raise StateError(f"no running mockpartners in {state_dir} (start it with mockpartners up)")
        info = SuiteInfo.load(path)
        if info.status != "running":
            raise StateError(f"no running mockpartners in {state_dir} (start it with mockpartners up)")
        if info.admin is None:
            raise StateError(
                f"the mockpartners serving {state_dir} has no admin API (it was started with --no-admin)"
            )
        if token is None:
            try:
                token = info.admin.token
            except OSError as error:
                raise StateError(f"cannot read the admin token: {error}") from None
        return cls(info.admin.url, token or os.environ.get(TOKEN_VARIABLE) or None)

    # -- requests -----------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | int | float | None] | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """One request; HTTP errors raise :class:`AdminError` with the API's message."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(self._address(path, query), data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return Reply(
                    response.status,
                    response.headers.get_content_type(),
                    response.read(),
                    dict(response.headers.items()),
                )
        except urllib.error.HTTPError as error:
            raise AdminError(error.code, _message(error)) from None
        except urllib.error.URLError as error:
            raise self._unreachable(error.reason) from None
        except (TimeoutError, ConnectionError) as error:
            raise self._unreachable(error) from None

    def json(self, method: str, path: str, **options: Any) -> Any:
        return self.request(method, path, **options).json()

    def get(self, path: str, **query: str | int | float | None) -> Any:
        return self.json("GET", path, query=query)

    def post(self, path: str, body: Any = None) -> Any:
        return self.json("POST", path, json_body=body if body is not None else {})

    def _address(self, path: str, query: Mapping[str, str | int | float | None] | None) -> str:
        address = self.url + path
        given = {name: str(value) for name, value in (query or {}).items() if value is not None}
        return f"{address}?{urllib.parse.urlencode(given)}" if given else address

    def _unreachable(self, reason: object) -> AdminUnreachable:
        if isinstance(reason, ConnectionRefusedError):
            why = "connection refused (is mockpartners up running?)"
        elif isinstance(reason, TimeoutError):
            why = f"no answer within {self.timeout:g} s"
        else:
            why = str(reason)
        return AdminUnreachable(f"cannot reach the admin API at {self.url}: {why}")


def route(*parts: str) -> str:
    """An API path from its parts, each escaped (file paths keep their slashes)."""
    return "/" + "/".join(urllib.parse.quote(part.strip("/"), safe="/") for part in parts)


def _message(error: urllib.error.HTTPError) -> str:
    """The API's own error message, or the status line when the body is not ours."""
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        body = {}
    message = body.get("error") if isinstance(body, dict) else None
    return str(message) if message else f"HTTP {error.code} {error.reason} from {error.url}"
