"""The suite as a whole over HTTP: health, endpoints, partners, resets, certificates, the token, and
errors that are always one JSON message."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from mockpartners import Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import PortInUseError
from tests.admin.conftest import Api, files_path


def test_health_endpoints_and_partners(onss_suite: Runtime, api: Api) -> None:
    assert api.ok("GET", "/health") == {
        "status": "ok",
        "partners": ["onss"],
        "journal": {"failing": None, "pending": 0, "lost": 0},
    }
    endpoints = api.ok("GET", "/v1/endpoints")
    written = json.loads((onss_suite.state.path / "endpoints.json").read_text())
    assert endpoints == written
    assert endpoints["admin"]["url"] == api.url
    (listed,) = api.ok("GET", "/v1/partners")["partners"]
    assert listed == endpoints["partners"]["onss"]
    onss = api.ok("GET", "/v1/partners/onss")
    assert onss == listed
    assert onss["endpoints"]["sftp"]["port"] == onss_suite["onss"].endpoint().port
    assert [account["username"] for account in onss["accounts"]] == ["EXP0000001", "UM0000002"]


def test_reset_empties_the_homes_and_keeps_the_journal(onss_suite: Runtime, api: Api) -> None:
    onss = onss_suite["onss"]
    dropped = api.put(files_path("onss", "EXP0000001", "IN/DMFA.1.xml"), data=b"<dmfa/>").json()["event"]
    onss.wait_for_answer("IN/DMFA.1.xml")
    api.ok("POST", "/v1/clock/freeze")
    before = api.ok("GET", "/v1/journal?limit=1")["last_id"]

    reset = api.ok("POST", "/v1/reset")
    assert reset["reset"] == ["onss"] and reset["clock"]["frozen"] is False
    assert reset["last_id"] > before > dropped["id"]
    for folder in ("IN", "OUT"):
        assert api.ok("GET", files_path("onss", "EXP0000001") + f"?folder={folder}")["entries"] == []
    marks = api.ok("GET", f"/v1/journal?kind=partner.reset&after={before}")["events"]
    assert [(event["kind"], event["partner"]) for event in marks] == [("partner.reset", "onss")]
    assert api.ok("GET", "/v1/journal?after=0&path=IN/DMFA.1.xml")["events"][0]["id"] == dropped["id"]

    api.ok("POST", "/v1/clock/freeze")
    one = api.ok("POST", "/v1/partners/onss/reset")
    assert one["reset"] == ["onss"] and one["last_id"] > reset["last_id"]
    assert api.ok("GET", "/v1/clock")["frozen"] is True  # one partner's reset leaves the clock alone


def test_renewing_the_server_certificate_of_an_ftps_partner(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", "magda", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    before = suite["magda"].tls
    assert before is not None
    renewed = api.ok("POST", "/v1/partners/magda/certificate/renew", json_body={"new_issuing_ca": True})
    assert renewed["partner"] == "magda" and renewed["sha256"] != before.server.sha256
    assert renewed["certificate_file"] == str(before.server.certificate_path)
    assert suite.journal is not None
    event = suite.journal.wait_for(kind="partner.certificate", partner="magda")
    assert event.detail["sha256"] == renewed["sha256"]

    refused = api.post("/v1/partners/onss/certificate/renew")
    assert refused.status == 409 and "no FTPS endpoint" in refused.error
    malformed = api.post("/v1/partners/magda/certificate/renew", {"new_issuing_ca": "yes"})
    assert malformed.status == 400 and "new_issuing_ca: expected true or false" in malformed.error


def test_a_token_guards_every_route_but_health(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True, admin_token="s3cret-token")
    assert suite.info.admin is not None and suite.info.admin.token == "s3cret-token"
    assert Path(str(suite.info.admin.token_file)).stat().st_mode & 0o077 == 0
    anonymous = Api(suite.info.admin.url)
    assert anonymous.get("/health").status == 200
    for method, path in [("GET", "/openapi.json"), ("GET", "/v1/journal"), ("POST", "/v1/reset")]:
        refused = anonymous.call(method, path)
        assert refused.status == 401, (method, path)
        assert "bearer token" in refused.error
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = Api(suite.info.admin.url, token="guess")
    assert wrong.get("/v1/clock").status == 401
    assert anonymous.get("/v1/clock", headers={"Authorization": "Basic czNjcmV0LXRva2Vu"}).status == 401
    assert Api(suite.info.admin.url, token="s3cret-token").get("/v1/clock").status == 200


def test_errors_are_one_json_message_with_the_right_status(api: Api) -> None:
    missing = api.get("/v1/nothing-here")
    assert missing.status == 404 and "no route GET /v1/nothing-here" in missing.error
    not_allowed = api.delete("/v1/clock")
    assert not_allowed.status == 405 and "allowed: GET" in not_allowed.error
    assert not_allowed.headers["Allow"] == "GET"
    unknown_partner = api.get("/v1/partners/onsss")
    assert unknown_partner.status == 404 and "no partner 'onsss'" in unknown_partner.error
    broken_json = api.call(
        "POST", "/v1/clock/advance", data=b"{by: 1d", headers={"Content-Type": "application/json"}
    )
    assert broken_json.status == 400 and "not valid JSON" in broken_json.error
    not_an_object = api.call("POST", "/v1/clock/advance", json_body=["1d"])
    assert not_an_object.status == 400 and "must be a JSON object" in not_an_object.error
    unknown_field = api.post("/v1/clock/advance", {"by": "1d", "byy": "2d"})
    assert unknown_field.status == 400 and "unknown field(s) byy" in unknown_field.error
    unknown_parameter = api.get("/v1/partners?verbose=1")
    assert unknown_parameter.status == 400 and "unknown query parameter(s) verbose" in unknown_parameter.error
    assert api.get("/health").status == 200  # nothing broke


def test_a_taken_admin_port_is_a_clear_error(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        suite = Runtime(
            ["onss"],
            state_dir=tmp_path / "state",
            ports="ephemeral",
            admin=True,
            admin_port=port,
            credentials_from=mockpartners_credentials,
        )
        with pytest.raises(PortInUseError, match=f"admin API: port {port} on 127.0.0.1 is already in use"):
            suite.start()
    again = Runtime(["onss"], state_dir=tmp_path / "state", ports="ephemeral", admin=True)
    with again:  # the failed start let go of everything: the state directory is free again
        assert again.admin is not None and Api(again.admin.url).get("/health").status == 200
