"""A partner's accounts over HTTP: list, create, read, change, remove, under the same guards as every route.

Logins with the changed credentials are tested with real clients in tests/protocols/test_account_book.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import paramiko
import pytest

from mockpartners import Runtime, SuiteInfo
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api, files_path
from tests.clients import paramiko_sftp

PROFILE = Path(__file__).parents[1] / "profiles" / "exchange.yaml"
ACCOUNTS = "/v1/partners/exchange/accounts"


@pytest.fixture
def exchange_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners(profile_files=[PROFILE], admin=True)


@pytest.fixture
def exchange_api(exchange_suite: Runtime) -> Api:
    assert exchange_suite.admin is not None
    return Api(exchange_suite.admin.url)


def test_list_read_create_change_remove(exchange_suite: Runtime, exchange_api: Api) -> None:
    api = exchange_api
    listed = api.ok("GET", ACCOUNTS)
    assert [account["username"] for account in listed["accounts"]] == [
        "payroll",
        "keyed",
        "sftp-only",
        "ftpes-only",
        "fenced",
    ]
    keyed = api.ok("GET", f"{ACCOUNTS}/keyed")
    assert keyed["auth"] == ["publickey"] and keyed["endpoints"] == ["sftp"] and keyed["password"] is None
    assert keyed["key"]["private_key"] and keyed["public_keys"] and keyed["live_sessions"] == 0

    answer = api.post(ACCOUNTS, {"username": "newcomer", "password": True, "endpoints": ["sftp"]})
    assert answer.status == 201
    created = answer.json()
    assert len(created["password"]) == 24 and created["auth"] == ["password", "keyboard-interactive"]
    transport, sftp = paramiko_sftp(
        exchange_suite["exchange"].endpoint("sftp"), "newcomer", password=created["password"]
    )
    with transport, sftp:
        assert sorted(sftp.listdir("/")) == ["in", "out"]
    assert (
        api.ok("GET", files_path("exchange", "newcomer") + "?folder=in")["entries"] == []
    )  # files routes know it

    changed = api.ok("PATCH", f"{ACCOUNTS}/newcomer", json_body={"endpoints": None, "description": "both"})
    assert changed["endpoints"] == ["sftp", "ftpes"] and changed["description"] == "both"
    assert changed["password"] == created["password"]
    removed = api.ok("DELETE", f"{ACCOUNTS}/newcomer")
    assert removed["removed"] is True and removed["username"] == "newcomer"
    assert api.get(f"{ACCOUNTS}/newcomer").status == 404
    journal = api.ok("GET", "/v1/journal?kind=account.*&account=newcomer")["events"]
    assert [event["kind"] for event in journal] == ["account.created", "account.changed", "account.removed"]
    assert journal[0]["detail"]["credentials"] == ["password"] and created["password"] not in json.dumps(
        journal
    )


def test_endpoints_json_follows_the_changes(exchange_suite: Runtime, exchange_api: Api) -> None:
    exchange_api.ok("PATCH", f"{ACCOUNTS}/payroll", json_body={"password": "n3w-passw0rd"})
    written = SuiteInfo.load(exchange_suite.state.endpoints_path)["exchange"]
    assert written.account("payroll").password == "n3w-passw0rd"
    assert exchange_api.ok("GET", "/v1/partners/exchange")["accounts"][0]["password"] == "n3w-passw0rd"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        (
            "PATCH",
            "/keyed",
            {"public_keys": []},
            400,
            "cannot change account 'keyed': the account has no way to log in",
        ),
        ("PATCH", "/ftpes-only", {"password": None}, 400, "the account has no way to log in"),
        ("PATCH", "/keyed", {"endpoints": ["ftpes"]}, 400, "'keyed' can log in on no endpoint it may use"),
        (
            "PATCH",
            "/payroll",
            {"endpoints": []},
            400,
            "endpoints: an account allows at least one connection type",
        ),
        ("PATCH", "/payroll", {"auth": ["telepathy"]}, 400, "auth[0]: Input should be 'publickey'"),
        (
            "PATCH",
            "/payroll",
            {"password": 42},
            400,
            "password: expected a string, true (generate one) or null",
        ),
        ("PATCH", "/payroll", {"endpoints": "sftp"}, 400, "endpoints: expected a list of strings or null"),
        ("PATCH", "/payroll", {"cut_sessions": True}, 400, "nothing to change in account 'payroll'"),
        ("PATCH", "/payroll", {"passwrod": "x"}, 400, "unknown field(s) passwrod"),
        ("PATCH", "/nobody", {"password": "x"}, 404, "exchange has no account 'nobody'"),
        ("DELETE", "/payroll?cut_sessions=yes", None, 400, "cut_sessions: expected true or false"),
        ("POST", "", {"username": "payroll", "password": "x"}, 409, "already has an account 'payroll'"),
        ("POST", "", {"password": "x"}, 400, "the field 'username' is required"),
        ("POST", "", {"username": "a/b", "password": "x"}, 400, "username: a user name cannot hold '/'"),
    ],
)
def test_refusals_say_why(
    exchange_api: Api, method: str, path: str, body: object, status: int, message: str
) -> None:
    answer = exchange_api.call(method, ACCOUNTS + path, json_body=body)
    assert answer.status == status, answer.body
    assert message in answer.error
    assert exchange_api.ok("GET", "/v1/journal?kind=account.*")["events"] == []


def test_the_same_guards_as_every_route(exchange_api: Api) -> None:
    unlabelled = exchange_api.call("PATCH", f"{ACCOUNTS}/payroll", data=b'{"password": "x"}')
    assert unlabelled.status == 415 and "Content-Type: application/json" in unlabelled.error
    posted = exchange_api.call(
        "POST", ACCOUNTS, data=b'{"username": "x", "password": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert posted.status == 415
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        page = exchange_api.call("PATCH", f"{ACCOUNTS}/payroll", json_body={"password": "x"}, headers=headers)
        assert page.status == 403, headers
        assert exchange_api.call("DELETE", f"{ACCOUNTS}/payroll", headers=headers).status == 403
    large = exchange_api.call("POST", ACCOUNTS, json_body={"username": "x", "description": "x" * 2**20})
    assert large.status == 413
    assert exchange_api.ok("GET", f"{ACCOUNTS}/payroll")["description"].startswith("logs in by password")


def test_a_token_guards_the_account_routes(mockpartners: SuiteFactory) -> None:
    suite = mockpartners(profile_files=[PROFILE], admin=True, admin_token="s3cret-token")
    assert suite.admin is not None
    anonymous = Api(suite.admin.url)
    assert anonymous.get(ACCOUNTS).status == 401
    assert anonymous.call("PATCH", f"{ACCOUNTS}/payroll", json_body={"password": "x"}).status == 401
    assert Api(suite.admin.url, "s3cret-token").ok("GET", ACCOUNTS)["partner"] == "exchange"


def test_onss_accounts_stay_key_only_whatever_is_asked(onss_suite: Runtime, api: Api) -> None:
    """ONSS accepts keys only (guide 4.3): a password given to an account is never accepted on its SFTP."""
    api.ok("PATCH", "/v1/partners/onss/accounts/EXP0000001", json_body={"password": "s3cret"})
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(onss_suite["onss"].endpoint(), "EXP0000001", password="s3cret")
    assert onss_suite.journal is not None
    refused = onss_suite.journal.wait_for(kind="auth.attempt", outcome="refused", account="EXP0000001")
    assert (
        refused.detail["reason"]
        == "password authentication is offered but never accepted (accepted: publickey)"
    )
    taken = api.call("PATCH", "/v1/partners/onss/accounts/EXP0000001", json_body={"public_keys": []})
    assert taken.status == 400
    assert "'EXP0000001' can log in on no endpoint it may use" in taken.error
