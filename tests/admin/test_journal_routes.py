"""The journal over HTTP: filters, a cursor that pages forward without gaps, and long polls that answer
the moment an event is recorded, while the loop keeps serving."""

from __future__ import annotations

import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor

from mockpartners import Suite
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Answer, Api, files_path


def test_filters_and_the_cursor(onss_suite: Suite, api: Api) -> None:
    start = api.ok("GET", "/v1/journal?limit=1")
    assert [event["kind"] for event in start["events"]] == ["suite.start"]
    assert start["cursor"] == start["last_id"] == start["events"][0]["id"]
    for number in range(5):
        api.put(files_path("onss", "EXP0000001", f"IN/REQ.{number}.xml"), data=b"<r/>")
    onss_suite["onss"].wait_for_answer("IN/REQ.4.xml")

    drops = api.ok("GET", "/v1/journal?kind=partner.drop&partner=onss&account=EXP0000001")
    assert [event["path"] for event in drops["events"]] == [f"IN/REQ.{number}.xml" for number in range(5)]
    assert drops["more"] is False
    newest = api.ok("GET", "/v1/journal?kind=partner.drop&limit=2")
    assert [event["path"] for event in newest["events"]] == ["IN/REQ.3.xml", "IN/REQ.4.xml"]
    assert newest["more"] is True
    prefixed = api.ok("GET", "/v1/journal?kind=partner.*&path=IN/REQ.2.xml")["events"]
    assert all(event["kind"].startswith("partner.") for event in prefixed)
    assert prefixed[0]["kind"] == "partner.drop" and prefixed[-1]["kind"] == "partner.answer"
    several = api.ok("GET", "/v1/journal?kind=partner.drop,partner.answer&path=IN/REQ.2.xml")["events"]
    assert several == [prefixed[0], prefixed[-1]]
    repeated = api.ok("GET", "/v1/journal?kind=partner.drop&kind=partner.answer&path=IN/REQ.2.xml")
    assert repeated["events"] == several
    by_reference = api.ok("GET", f"/v1/journal?ref={prefixed[0]['id']}&kind=partner.answer")["events"]
    assert by_reference == [prefixed[-1]]
    assert api.ok("GET", "/v1/journal?outcome=refused")["events"] == []

    seen: list[int] = []
    cursor = 0
    while True:  # page forward two at a time: every event once, in order
        page = api.ok("GET", f"/v1/journal?after={cursor}&limit=2")
        seen.extend(event["id"] for event in page["events"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    everything = api.ok("GET", "/v1/journal?after=0")["events"]
    assert seen == [event["id"] for event in everything] == sorted(set(seen))
    assert api.ok("GET", f"/v1/journal?after={cursor}") == {
        "events": [],
        "cursor": cursor,
        "more": False,
        "last_id": cursor,
    }


def test_malformed_parameters_are_400(api: Api) -> None:
    for query, message in [
        ("after=soon", "after: expected a whole number, got 'soon'"),
        ("limit=-1", "limit: expected 0 to 10000, got -1"),
        ("limit=100000", "limit: expected 0 to 10000"),
        ("ref=x", "ref: expected a whole number"),
        ("kinds=fs.*", "unknown query parameter(s) kinds"),
    ]:
        answer = api.get(f"/v1/journal?{query}")
        assert answer.status == 400 and message in answer.error, query
    waited = api.get("/v1/journal/wait?timeout=later")
    assert waited.status == 400 and "timeout: expected a number of seconds" in waited.error


def test_a_long_poll_answers_when_the_answer_is_recorded_and_the_loop_keeps_serving(api: Api) -> None:
    cursor = api.ok("GET", "/v1/journal?limit=1")["last_id"]
    wait = f"/v1/journal/wait?kind=partner.answer&partner=onss&after={cursor}&timeout=60"
    with ThreadPoolExecutor(max_workers=5) as pool:
        polls = [pool.submit(api.get, wait, timeout=90) for _ in range(5)]
        assert api.ok("GET", "/health")["status"] == "ok"  # served while the polls wait
        dropped = api.put(files_path("onss", "EXP0000001", "IN/DMFA.7.xml"), data=b"<dmfa/>")
        assert dropped.status == 201
        answers: list[Answer] = [poll.result(timeout=90) for poll in polls]
    request = dropped.json()["event"]
    for answer in answers:
        assert answer.status == 200
        event = answer.json()["event"]
        assert event["kind"] == "partner.answer" and event["ref"] == request["id"]
        assert event["path"] == "IN/DMFA.7.xml" and answer.json()["cursor"] == event["id"]
    # the answer is in the journal now: a wait from the same cursor finds it at once
    assert api.ok("GET", wait)["event"] == answers[0].json()["event"]


def test_a_long_poll_times_out_with_408(api: Api) -> None:
    answer = api.get("/v1/journal/wait?kind=never.happens&timeout=0.2")
    assert answer.status == 408
    assert answer.error == "no journal event matched kind='never.happens' within 0.2 s"


def test_stopping_the_suite_ends_pending_long_polls(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    outcomes: list[object] = []

    def poll() -> None:
        try:
            outcomes.append(api.get("/v1/journal/wait?kind=never.happens&timeout=120", timeout=150).status)
        except (urllib.error.URLError, ConnectionError) as error:  # stopped before the poll arrived
            outcomes.append(type(error).__name__)

    polls = [threading.Thread(target=poll) for _ in range(3)]
    for thread in polls:
        thread.start()
    assert api.get("/health").status == 200
    stopping = threading.Thread(target=suite.stop)
    stopping.start()
    stopping.join(timeout=60)  # a deadline against hangs, not a speed check: polls end when the suite stops
    assert not stopping.is_alive()
    for thread in polls:
        thread.join(timeout=60)
    assert len(outcomes) == 3
    assert all(outcome == 503 or isinstance(outcome, str) for outcome in outcomes), outcomes
