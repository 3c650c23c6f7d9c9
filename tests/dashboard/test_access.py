"""Who gets in: the token once in the URL becomes a cookie; a page of another site is refused, cookie or not.

Plain HTTP with urllib (what a browser sends, header by header), against a suite with a token and one
without: no browser is needed to see the headers.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Mapping

from mockpartners import Runtime
from mockpartners.app.cheatsheet import render
from mockpartners.app.pytest_plugin import SuiteFactory

TOKEN = "s3cret-dashboard"


def _request(
    suite: Runtime,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> http.client.HTTPResponse:
    """One request, redirects not followed (a browser's first step is what is tested)."""
    assert suite.admin is not None
    address = urllib.parse.urlsplit(suite.admin.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.request(method, path, body=body, headers=dict(headers or {}))
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _cookie(suite: Runtime) -> str:
    response = _request(suite, "GET", f"/dashboard/journal?partner=onss&token={TOKEN}")
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard/journal?partner=onss"  # the token left the address
    cookie = response.headers["Set-Cookie"]
    assert f"mockpartners-admin-token={TOKEN}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # served over plain HTTP: a Secure cookie would never come back
    return cookie.split(";", 1)[0]


def test_the_token_in_the_url_becomes_a_cookie_that_the_api_accepts(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True, admin_token=TOKEN)
    cookie = _cookie(suite)
    page = _request(suite, "GET", "/dashboard/journal", {"Cookie": cookie})
    assert page.status == 200 and page.headers.get_content_type() == "text/html"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert _request(suite, "GET", "/v1/clock", {"Cookie": cookie}).status == 200
    same_origin = {"Cookie": cookie, "Content-Type": "application/json", "Origin": suite.admin.url}  # type: ignore[union-attr]
    assert _request(suite, "POST", "/v1/clock/freeze", same_origin, b"{}").status == 200


def test_without_the_token_a_page_says_how_to_get_in(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True, admin_token=TOKEN)
    assert _request(suite, "GET", "/dashboard/partners").status == 401
    wrong = _request(suite, "GET", "/dashboard/partners?token=guess")
    assert wrong.status == 401 and "Set-Cookie" not in wrong.headers
    assert _request(suite, "GET", "/v1/clock", {"Cookie": "mockpartners-admin-token=guess"}).status == 401
    assert _request(suite, "GET", "/dashboard/static/dashboard.css").status == 200  # no secret in the style
    assert _request(suite, "GET", "/dashboard/static/..%2F_pages.py").status == 404


def test_a_cross_site_request_is_refused_even_with_the_cookie(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True, admin_token=TOKEN)
    cookie = _cookie(suite)
    body = json.dumps({"by": "1d"}).encode()
    for foreign in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        headers = {"Cookie": cookie, "Content-Type": "application/json", **foreign}
        refused = _request(suite, "POST", "/v1/clock/advance", headers, body)
        assert refused.status == 403, foreign
    text = {"Cookie": cookie, "Content-Type": "text/plain"}  # what a page may send without asking first
    assert _request(suite, "POST", "/v1/clock/advance", text, body).status == 415
    assert not suite.clock.shifted


def test_a_foreign_host_is_refused_pages_included(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)  # no token: the Host check stops DNS rebinding
    assert _request(suite, "GET", "/dashboard/partners", {"Host": "rebind.evil.example"}).status == 403
    assert _request(suite, "GET", "/dashboard/partners").status == 200
    root = _request(suite, "GET", "/")
    assert root.status == 303 and root.headers["Location"] == "/dashboard/partners"


def test_the_cheat_sheet_says_where_the_dashboard_is(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True, admin_token=TOKEN)
    assert suite.admin is not None
    sheet = render(suite.info)
    token_file = suite.state.admin_token_path
    assert f"dashboard: {suite.admin.url}/dashboard/  (once: ?token=$(cat {token_file}))" in sheet
