"""Plain HTTP over loopback with urllib, against suites whose admin API the ``mockpartners`` factory
started: what a CI job in any language does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from mockpartners import Runtime
from mockpartners.app.pytest_plugin import SuiteFactory


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        assert self.headers.get_content_type() == "application/json", self.headers
        return json.loads(self.body)

    @property
    def error(self) -> str:
        """The message of an error answer, which must be exactly ``{"error": "..."}``."""
        body = self.json()
        assert set(body) == {"error"} and isinstance(body["error"], str), body
        assert "Traceback" not in body["error"]
        return str(body["error"])


class Api:
    """The admin API of one suite, as an HTTP client sees it."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        sent = dict(headers or {})
        if method == "POST" and data is None and json_body is None:
            json_body = {}  # every POST is JSON, as the API requires; refusals are tested with data=
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read())

    def get(self, path: str, **options: Any) -> Answer:
        return self.call("GET", path, **options)

    def put(self, path: str, **options: Any) -> Answer:
        return self.call("PUT", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Answer:
        return self.call("POST", path, json_body=body if body is not None else {}, **options)

    def delete(self, path: str, **options: Any) -> Answer:
        return self.call("DELETE", path, **options)

    def ok(self, method: str, path: str, **options: Any) -> Any:
        """The JSON of a successful answer (2xx), failing the test with the error otherwise."""
        answer = self.call(method, path, **options)
        assert 200 <= answer.status < 300, (answer.status, answer.body)
        return answer.json()


def files_path(partner: str, account: str, path: str = "") -> str:
    base = f"/v1/partners/{partner}/accounts/{account}/files"
    return f"{base}/{path}" if path else base


@pytest.fixture
def onss_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners("onss", admin=True)


@pytest.fixture
def api(onss_suite: Runtime) -> Api:
    assert onss_suite.admin is not None
    return Api(onss_suite.admin.url)


@contextmanager
def admin_suite(state: Path, credentials: Path, **options: Any) -> Iterator[Runtime]:
    """ONSS with its admin API, built with options the pytest factory does not take (admin_limits,
    admin_allowed_hosts, host)."""
    suite = Runtime(
        ["onss"], state_dir=state, ports="ephemeral", credentials_from=credentials, admin=True, **options
    )
    with suite:
        yield suite
