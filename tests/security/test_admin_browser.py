"""The admin API cannot be driven by a web page (issue 9, item 4): what a browser sends on a page's
behalf, by DNS rebinding or cross-origin, is refused; beyond loopback the API never serves without a token.

Each request is a real HTTP request (urllib) carrying the headers a browser would add."""

from __future__ import annotations

import http.client
import re
import stat
from contextlib import closing
from pathlib import Path

import pytest

from mockpartners import Suite
from mockpartners.app.admin import AdminServer
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import UsageError
from tests.admin import conftest as admin_fixtures
from tests.admin.conftest import Answer, Api, admin_suite, files_path

onss_suite, api = admin_fixtures.onss_suite, admin_fixtures.api  # ONSS with its admin API, and urllib on it

REBINDING = "rebind.evil.example"


def _no_cors(answer: Answer) -> None:
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")], answer.headers


def test_a_rebinding_host_reads_nothing_without_a_token(onss_suite: Suite, api: Api) -> None:
    port = onss_suite.admin.port if onss_suite.admin else 0
    for path in ("/v1/partners/onss", "/health", "/v1/endpoints", "/no/such/route"):
        refused = api.get(path, headers={"Host": f"{REBINDING}:{port}"})
        assert refused.status == 403, (path, refused.body)
        assert f"the Host header '{REBINDING}:{port}' is not allowed" in refused.error
        assert "--admin-allowed-host" in refused.error
        assert b"credentials" not in refused.body and b"passphrase" not in refused.body
    advanced = api.post("/v1/clock/advance", {"by": "1d"}, headers={"Host": REBINDING})
    assert advanced.status == 403
    assert api.ok("GET", "/v1/clock")["shifted"] is False
    for host in (
        f"localhost:{port}",
        f"127.0.0.1:{port}",
        f"[::1]:{port}",
        "10.1.2.3",
        "LOCALHOST",
        "[fe80::1]",
    ):
        assert api.get("/v1/partners/onss", headers={"Host": host}).status == 200, host


def test_names_given_with_admin_allowed_host_are_served(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    with admin_suite(tmp_path, mockpartners_credentials, admin_allowed_hosts=["mockpartners"]) as suite:
        assert suite.admin is not None
        api = Api(suite.admin.url)
        assert api.get("/v1/clock", headers={"Host": "mockpartners:8470"}).status == 200
        assert api.get("/v1/clock", headers={"Host": "MockPartners."}).status == 200
        assert api.get("/v1/clock", headers={"Host": "mockpartners.evil.example"}).status == 403


def test_with_a_token_any_host_may_ask_but_only_with_the_token(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True, admin_token="s3cret")
    assert suite.admin is not None
    with_token, without = Api(suite.admin.url, "s3cret"), Api(suite.admin.url)
    assert with_token.get("/v1/clock", headers={"Host": "mockpartners:8470"}).status == 200
    assert without.get("/v1/partners/onss", headers={"Host": REBINDING}).status == 401


def test_cross_origin_state_changes_are_refused(onss_suite: Suite, api: Api) -> None:
    cross_site = [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ]
    drop = files_path("onss", "EXP0000001", "OUT/FROM-A-PAGE.xml")
    for headers in cross_site:
        advanced = api.post("/v1/clock/advance", {"by": "1d"}, headers=headers)
        assert advanced.status == 403 and "may not change anything" in advanced.error, headers
        _no_cors(advanced)
        assert api.put(drop, data=b"<x/>", headers=headers).status == 403
        assert api.delete("/v1/partners/onss/scenarios/rename-refused", headers=headers).status == 403
    assert api.ok("GET", "/v1/clock")["shifted"] is False
    assert api.get(drop).status == 404
    assert onss_suite["onss"].scenarios.active("rename-refused") is not None
    # reading stays open to a page's GET (its answer is unreadable to the page: no CORS header)
    assert api.get("/v1/clock", headers={"Origin": "http://evil.example"}).status == 200
    # the API's own origin, as a same-origin browser request would carry it
    own = api.url.lower()
    same = api.post(
        "/v1/clock/advance", {"by": "1d"}, headers={"Origin": own, "Sec-Fetch-Site": "same-origin"}
    )
    assert same.status == 200


def test_a_text_plain_post_is_refused_and_preflights_get_no_cors(api: Api) -> None:
    """The page's POST that needs no preflight (text/plain) once advanced the clock."""
    plain = api.call(
        "POST", "/v1/clock/advance", data=b'{"by": "61d"}', headers={"Content-Type": "text/plain"}
    )
    assert plain.status == 415
    assert "takes a JSON body labelled 'Content-Type: application/json' (got 'text/plain'" in plain.error
    assert api.ok("GET", "/v1/clock")["shifted"] is False
    bare = http.client.HTTPConnection(api.url.removeprefix("http://"), timeout=10)
    with closing(bare):  # a page's fetch(url, {method: "POST", mode: "no-cors"}): no body, no type
        bare.request("POST", "/v1/reset")
        answer = bare.getresponse()
        assert answer.status == 415 and b"(got no Content-Type; send '{}' for an empty one)" in answer.read()
    preflight = api.call(
        "OPTIONS",
        "/v1/clock/advance",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 403 and "OPTIONS is refused" in preflight.error
    for answer in (
        plain,
        preflight,
        api.get("/health"),
        api.get("/v1/clock", headers={"Origin": "http://x"}),
    ):
        _no_cors(answer)


def _concrete(path: str) -> str:
    """A route's path with a value in each of its parameters."""
    values = {"partner": "onss", "account": "EXP0000001", "name": "X"}
    return re.sub(r"\{(\w+)\}", lambda match: values.get(match.group(1), "x"), path)


def test_every_post_and_json_put_needs_the_json_content_type(onss_suite: Suite, api: Api) -> None:
    assert onss_suite.admin is not None
    posts = sorted(
        _concrete(route.resource.canonical)  # type: ignore[union-attr]
        for route in onss_suite.admin.app.router.routes()
        if route.method == "POST"
    )
    assert "/v1/clock/advance" in posts and "/v1/reset" in posts
    for path in posts:
        for headers in (
            {},
            {"Content-Type": "text/plain"},
            {"Content-Type": "application/x-www-form-urlencoded"},
        ):
            refused = api.call("POST", path, data=b"", headers=headers)
            assert refused.status == 415, (path, headers, refused.body)
            assert f"POST {path} takes a JSON body" in refused.error
    scenario = "/v1/partners/onss/scenarios/latency"
    labelled_wrong = api.put(
        scenario, data=b'{"parameters": {"ms": 5}}', headers={"Content-Type": "text/plain"}
    )
    assert labelled_wrong.status == 415
    assert onss_suite["onss"].scenarios.active("latency") is None
    assert api.ok("PUT", scenario, json_body={"parameters": {"ms": 5}})["active"] is True
    # a file is bytes, whatever its label
    binary = api.put(
        files_path("onss", "EXP0000001", "OUT/X.bin"), data=b"\x00", headers={"Content-Type": "text/plain"}
    )
    assert binary.status == 201


def test_beyond_loopback_the_api_never_serves_without_a_token(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    """A host the suite cannot tell is loopback counts as beyond it: 127.1 (a shorthand of 127.0.0.1 that
    is no IP literal) lets the test bind loopback only, as the rules require, and still take that path."""
    token_file = tmp_path / "admin-token"
    with admin_suite(tmp_path, mockpartners_credentials, host="127.1") as suite:
        assert suite.admin is not None and suite.info.admin is not None
        assert suite.info.admin.token_file == str(token_file)
        token = token_file.read_text().strip()
        assert len(token) >= 32
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert Api(suite.admin.url).get("/v1/clock").status == 401
        assert (
            Api(suite.admin.url, token).get("/v1/clock", headers={"Host": "mockpartners:8470"}).status == 200
        )
    with admin_suite(tmp_path, mockpartners_credentials, host="127.1") as suite:
        assert token_file.read_text().strip() == token  # kept: clients that read it go on working
    with pytest.raises(UsageError, match="beyond loopback: it needs a token"):
        AdminServer(suite, "0.0.0.0", 0, None)  # refused before anything listens
