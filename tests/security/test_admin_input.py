"""Bad input to the admin API is one clear 400, never a 500 (issue 9, items 8 and 21): absurd or
non-finite durations, NaN and deeply nested JSON, out-of-range scenario parameters, and file paths that
are absolute, climb with '..' or hide separators behind %2F."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mockpartners import Suite
from mockpartners.model.duration import Duration
from mockpartners.model.errors import UsageError
from tests.admin import conftest as admin_fixtures
from tests.admin.conftest import Api, files_path

onss_suite, api = admin_fixtures.onss_suite, admin_fixtures.api  # ONSS with its admin API, and urllib on it

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"by": "99999999999999999999d"}', "longer than 100 years"),
        (b'{"by": 99999999999999999999}', "longer than 100 years"),
        (b'{"by": "' + b"9" * 5000 + b' months"}', "longer than 100 years"),
        (b'{"by": NaN}', "NaN is not a JSON number"),
        (b'{"by": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"by": 1e400}', "1e400 is too large a number"),
        (b'{"by": -5}', "a duration is never negative"),
        (b'{"by": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"by": "' + b"x" * (2**20) + b'"}', "a JSON body is limited to 1 MiB"),
    ],
)
def test_the_clock_refuses_what_cannot_be_a_step(api: Api, body: bytes, message: str) -> None:
    refused = api.call("POST", "/v1/clock/advance", data=body, headers=JSON)
    assert refused.status in (400, 413), refused.body[:300]
    assert message in refused.error
    assert api.ok("GET", "/v1/clock")["shifted"] is False


@pytest.mark.parametrize(
    ("scenario", "parameters", "message"),
    [
        ("bandwidth", {"bytes_per_second": 0}, "bytes_per_second: expected 1024 to 1073741824, got 0"),
        ("fail-writes", {"probability": 2}, "probability: expected 0 to 1, got 2"),
        ("fail-writes", {"probability": "nan"}, "probability: expected 0 to 1, got 'nan'"),
        ("latency", {"ms": -1}, "ms: expected 0 to 600000, got -1"),
        ("answers-late", {"delay": "99999999d"}, "delay: not a duration: '99999999d': longer than 100 years"),
        ("answers-late", {"delay": "400d"}, "delay: expected 0s to 365d, got '400d'"),
        ("answers-late", {"delay": 7}, None),
        ("fail-nth-write", {"n": 0}, "n: expected 1 to 1000000000, got 0"),
        ("disconnect-after-bytes", {"bytes": [[[[1]]]]}, "bytes: expected int, got [[[[1]]]]"),
        ("reject-requests", {"reason": "x" * 100}, None),
    ],
)
def test_scenario_parameters_are_range_checked(
    onss_suite: Suite, api: Api, scenario: str, parameters: dict[str, Any], message: str | None
) -> None:
    path = f"/v1/partners/onss/scenarios/{scenario}"
    answer = api.put(path, json_body={"parameters": parameters})
    if message is None:
        assert answer.status == 200, answer.body
        return
    assert answer.status == 400 and answer.error == f"scenario {scenario}: {message}"
    assert onss_suite["onss"].scenarios.active(scenario) is None
    with pytest.raises(UsageError, match=r"expected|not a duration"):  # the Python API says the same
        onss_suite["onss"].scenarios.on(scenario, **parameters)


def test_a_duration_given_as_seconds_is_kept_as_a_duration(onss_suite: Suite, api: Api) -> None:
    answer = api.ok(
        "PUT", "/v1/partners/onss/scenarios/answers-late", json_body={"parameters": {"delay": 90}}
    )
    assert answer["parameters"] == {"delay": "1m30s"}


def test_durations_stay_within_a_century_and_dates_saturate() -> None:
    for given in (float("nan"), float("inf"), -1, 10**20, "36526d", "1201 months", "9" * 400 + "s"):
        with pytest.raises(UsageError, match="not a duration"):
            Duration.parse(given)
    assert Duration.parse("36525d").total_seconds() == 36525 * 86400
    far = Duration(seconds=1e15)
    late = datetime(9999, 12, 1, tzinfo=UTC)
    assert far.after(late) == datetime.max.replace(tzinfo=UTC)
    assert Duration(months=2).after(late) == datetime.max.replace(tzinfo=UTC)
    assert far.before(datetime(1, 2, 1, tzinfo=UTC)) == datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("%2Fetc%2Fevil3.xml", "'/etc/evil3.xml' is absolute"),
        ("/etc/evil.xml", "'/etc/evil.xml' is absolute"),
        ("..%2F..%2Fevil.xml", "'..' are refused"),
        ("%2E%2E/evil.xml", "'..' are refused"),
        ("OUT/%2e/evil.xml", "'..' are refused"),
        ("OUT//evil.xml", "has an empty component"),
        ("OUT/", "has an empty component"),
        ("OUT%5Cevil.xml", "a backslash is not a separator here"),
    ],
)
def test_file_paths_are_plain_and_home_relative(onss_suite: Suite, api: Api, path: str, message: str) -> None:
    home = onss_suite["onss"].tree.home("EXP0000001").root
    before = sorted(os.listdir(home))
    for method in ("GET", "PUT", "DELETE"):
        answer = api.call(
            method, files_path("onss", "EXP0000001", path), data=b"<x/>" if method == "PUT" else None
        )
        assert answer.status == 400 and message in answer.error, (method, answer.body)
    assert sorted(os.listdir(home)) == before


def test_other_paths_are_checked_alike_and_drops_create_no_folder(onss_suite: Suite, api: Api) -> None:
    listing = api.get(files_path("onss", "EXP0000001") + "?folder=..")
    assert listing.status == 400 and "folder '..'" in listing.error
    published = api.post("/v1/partners/onss/publications", {"path": "/etc/x.xml", "content": "x"})
    assert published.status == 400 and "path '/etc/x.xml' is absolute" in published.error
    home = Path(onss_suite["onss"].tree.home("EXP0000001").root)
    before = sorted(os.listdir(home))
    nowhere = api.put(files_path("onss", "EXP0000001", "etc/evil3.xml"), data=b"<x/>")
    assert nowhere.status == 404
    assert nowhere.error == "no folder 'etc' in the home of account EXP0000001: a drop never creates folders"
    assert sorted(os.listdir(home)) == before
