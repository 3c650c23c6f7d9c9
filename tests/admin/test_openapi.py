"""The OpenAPI document: served at a stable URL, valid OpenAPI 3.1, and exactly the routes served."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from mockpartners import Suite
from tests.admin.conftest import Api

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _is_dashboard(path: str) -> bool:
    """The dashboard's pages are HTML for browsers (docs/dashboard.md), not routes of the API."""
    return path == "/" or path == "/dashboard" or path.startswith("/dashboard/")


def _served_routes(suite: Suite) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route the running app serves, in OpenAPI's template syntax."""
    assert suite.admin is not None
    routes = set()
    for route in suite.admin.app.router.routes():
        if _is_dashboard(route.resource.canonical):  # type: ignore[union-attr]
            continue
        template = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.resource.canonical)  # type: ignore[union-attr]
        routes.add((route.method, template))
    return routes


def _documented_routes(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in METHODS
    }


def test_the_document_is_served_valid_and_lists_exactly_the_routes(onss_suite: Suite, api: Api) -> None:
    assert onss_suite.info.admin is not None
    assert onss_suite.info.admin.openapi == f"{api.url}/openapi.json"
    answer = api.get("/openapi.json")
    assert answer.status == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": api.url}]
    validate(document)
    assert _documented_routes(document) == _served_routes(onss_suite)


def test_every_documented_operation_has_an_id_and_error_answers_are_json(api: Api) -> None:
    document = api.get("/openapi.json").json()
    operations = [
        operation
        for operations in document["paths"].values()
        for method, operation in operations.items()
        if method in METHODS
    ]
    identifiers = [operation["operationId"] for operation in operations]
    assert len(identifiers) == len(set(identifiers))
    for operation in operations:
        for status, response in operation["responses"].items():
            if status.startswith("4") and "$ref" not in response:
                assert list(response["content"]) == ["application/json"]
