"""Scenarios and the virtual clock over HTTP: switched, shown, journalled; a clock advanced through the
API makes MAGDA's retention run."""

from __future__ import annotations

from datetime import UTC, datetime

from mockpartners import Suite
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api, files_path


def test_scenarios_switched_on_and_off_show_in_the_api_and_the_journal(onss_suite: Suite, api: Api) -> None:
    listed = api.ok("GET", "/v1/partners/onss/scenarios")
    assert listed["partner"] == "onss"
    by_name = {scenario["name"]: scenario for scenario in listed["scenarios"]}
    assert by_name["rename-refused"]["active"] is True and by_name["rename-refused"]["by_profile"] is True
    assert by_name["answers-late"] == api.ok("GET", "/v1/partners/onss/scenarios/answers-late")
    assert by_name["answers-late"]["active"] is False
    cursor = api.ok("GET", "/v1/journal?limit=1")["last_id"]

    on = api.ok("PUT", "/v1/partners/onss/scenarios/answers-late", json_body={"parameters": {"delay": "10m"}})
    assert on["active"] is True and on["parameters"] == {"delay": "10m"}
    assert api.ok("GET", "/v1/partners/onss/scenarios/answers-late")["active"] is True
    assert onss_suite["onss"].scenarios.active("answers-late") == {"delay": "10m"}
    defaults = api.ok("PUT", "/v1/partners/onss/scenarios/reject-requests")  # no body: the defaults
    assert defaults["parameters"] == defaults["defaults"]
    off = api.ok("DELETE", "/v1/partners/onss/scenarios/answers-late")
    assert off["active"] is False and off["parameters"] == {}

    events = api.ok("GET", f"/v1/journal?kind=scenario.*&after={cursor}")["events"]
    assert [(event["kind"], event["detail"]["scenario"]) for event in events] == [
        ("scenario.on", "answers-late"),
        ("scenario.on", "reject-requests"),
        ("scenario.off", "answers-late"),
    ]
    assert events[0]["detail"]["parameters"] == {"delay": "10m"}


def test_scenario_errors(api: Api) -> None:
    unknown = api.put("/v1/partners/onss/scenarios/no-such-thing")
    assert unknown.status == 404 and "onss has no scenario 'no-such-thing'" in unknown.error
    assert api.get("/v1/partners/onss/scenarios/no-such-thing").status == 404
    assert api.delete("/v1/partners/onss/scenarios/no-such-thing").status == 404
    bad_name = api.put("/v1/partners/onss/scenarios/latency", json_body={"parameters": {"seconds": 1}})
    assert bad_name.status == 400 and "unknown parameter(s) seconds" in bad_name.error
    bad_value = api.put("/v1/partners/onss/scenarios/latency", json_body={"parameters": {"ms": "fast"}})
    assert bad_value.status == 400 and "ms: expected int" in bad_value.error
    not_an_object = api.put("/v1/partners/onss/scenarios/latency", json_body={"parameters": ["ms", 1]})
    assert not_an_object.status == 400 and "parameters: expected a JSON object" in not_an_object.error
    wrong_partner = api.get("/v1/partners/magda/scenarios")
    assert wrong_partner.status == 404


def test_the_clock_freezes_advances_unfreezes_and_resets(api: Api) -> None:
    assert api.ok("GET", "/v1/clock")["frozen"] is False
    frozen = api.ok("POST", "/v1/clock/freeze", json_body={"at": "2030-01-31T09:00:00"})
    assert frozen == {"now": "2030-01-31T09:00:00.000+00:00", "frozen": True, "shifted": True}
    advanced = api.ok("POST", "/v1/clock/advance", json_body={"by": "1 month"})
    assert advanced["now"] == "2030-02-28T09:00:00.000+00:00" and advanced["advanced_by"] == "1mo"
    seconds = api.ok("POST", "/v1/clock/advance", json_body={"by": 90})
    assert seconds["now"] == "2030-02-28T09:01:30.000+00:00"
    assert api.ok("GET", "/v1/clock")["now"] == seconds["now"]
    flowing = api.ok("POST", "/v1/clock/unfreeze")
    assert flowing["frozen"] is False and flowing["shifted"] is True
    assert datetime.fromisoformat(flowing["now"]).year == 2030
    reset = api.ok("POST", "/v1/clock/reset")
    assert reset["shifted"] is False
    assert abs((datetime.fromisoformat(reset["now"]) - datetime.now(UTC)).total_seconds()) < 60
    now = api.ok("POST", "/v1/clock/freeze")
    assert now["frozen"] is True


def test_clock_errors(api: Api) -> None:
    malformed = api.post("/v1/clock/advance", {"by": "61 dayz"})
    assert malformed.status == 400 and malformed.error.startswith("not a duration: '61 dayz'")
    missing = api.post("/v1/clock/advance", {})
    assert missing.status == 400 and "the field 'by' is required" in missing.error
    wrong_type = api.post("/v1/clock/advance", {"by": True})
    assert wrong_type.status == 400
    bad_moment = api.post("/v1/clock/freeze", {"at": "tomorrow"})
    assert bad_moment.status == 400 and "at: not an ISO 8601 date and time" in bad_moment.error
    assert api.ok("GET", "/v1/clock")["shifted"] is False


def test_advancing_the_clock_through_the_api_runs_magda_retention(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("magda", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    api.ok("POST", "/v1/clock/freeze")
    cursor = api.ok("GET", "/v1/journal?limit=1")["last_id"]
    put = api.put(files_path("magda", "afnemer-0001", "cache/to_vip/OLD.xml"), data=b"<old/>")
    assert put.status == 201  # partner writes ignore the folder's read-only rights
    api.ok("POST", "/v1/clock/advance", json_body={"by": "15d"})
    waited = api.ok(
        "GET",
        f"/v1/journal/wait?kind=partner.retention&path=cache/to_vip/OLD.xml&after={cursor}&timeout=30",
    )
    assert waited["event"]["account"] == "afnemer-0001"
    assert waited["event"]["detail"]["retention"] == "14d"
    assert api.get(files_path("magda", "afnemer-0001", "cache/to_vip/OLD.xml")).status == 404


def test_the_jobs_waiting_on_the_clock(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("magda", admin=True)
    assert suite.admin is not None
    planned = Api(suite.admin.url).ok("GET", "/v1/clock/jobs")
    (retention,) = [job for job in planned["jobs"] if job["name"] == "retention"]
    assert retention["partner"] == "magda" and retention["every"] == "1h"
    assert datetime.fromisoformat(retention["due"]) >= datetime.fromisoformat(planned["now"]).replace(
        microsecond=0
    )
