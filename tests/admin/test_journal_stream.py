"""``GET /v1/journal/stream``: the journal as server-sent events, filtered, resumable, bounded, ended by a
stopping suite. Read with a raw HTTP client, as ``curl -N`` would."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockpartners import Runtime
from mockpartners.app.admin import AdminLimits
from tests.admin.conftest import admin_suite


class Stream:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.response = response

    def frames(self) -> Iterator[dict[str, str]]:
        """Each frame's fields (``id``, ``event``, ``data``, ``comment``), as they arrive."""
        frame: dict[str, str] = {}
        while True:
            line = self.response.readline().decode()
            if not line:
                return
            line = line.rstrip("\n")
            if not line:
                if frame:
                    yield frame
                frame = {}
                continue
            name, _, value = line.partition(":")
            frame[name or "comment"] = value.strip()

    def events(self) -> Iterator[dict[str, Any]]:
        for frame in self.frames():
            if frame.get("event") == "journal":
                event: dict[str, Any] = json.loads(frame["data"])
                assert frame["id"] == str(event["id"])
                yield event


@contextmanager
def stream(suite: Runtime, query: str = "", headers: dict[str, str] | None = None) -> Iterator[Stream]:
    assert suite.admin is not None
    address = urllib.parse.urlsplit(suite.admin.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.request("GET", f"/v1/journal/stream{query}", headers=headers or {})
    try:
        yield Stream(connection.getresponse())
    finally:
        connection.close()


def test_events_arrive_filtered_as_they_are_recorded(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with (
        admin_suite(tmp_path, mockpartners_credentials) as suite,
        stream(suite, "?partner=onss&kind=partner.*") as live,
    ):
        assert live.response.status == 200
        assert live.response.headers.get_content_type() == "text/event-stream"
        files = suite["onss"].files("EXP0000001")
        files.drop("OUT/A.txt", b"a")
        files.drop("OUT/B.txt", b"b")
        events = live.events()
        first, second = next(events), next(events)
        assert (first["kind"], first["path"]) == ("partner.drop", "OUT/A.txt")
        assert (second["kind"], second["path"]) == ("partner.drop", "OUT/B.txt")


def test_a_reconnection_resumes_after_the_last_event_seen(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    with admin_suite(tmp_path, mockpartners_credentials) as suite:
        files = suite["onss"].files("EXP0000001")
        seen = files.drop("OUT/A.txt", b"a")
        files.drop("OUT/B.txt", b"b")
        resumed = {"Last-Event-ID": str(seen.id)}  # an EventSource resends its first URL, after=0 here
        with stream(suite, "?kind=partner.drop&after=0", resumed) as live:
            assert next(live.events())["path"] == "OUT/B.txt"
        with stream(suite, f"?kind=partner.drop&after={seen.id - 1}") as live:
            assert next(live.events())["path"] == "OUT/A.txt"


def test_a_quiet_stream_gets_heartbeats_and_ends_when_the_suite_stops(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    limits = AdminLimits(heartbeat=0.2)
    with admin_suite(tmp_path, mockpartners_credentials, admin_limits=limits) as suite, stream(suite) as live:
        frames = live.frames()
        assert "following the journal" in next(frames)["comment"]
        assert next(frames) == {"comment": "heartbeat"}
        suite.stop()
        assert [frame for frame in frames if "event" in frame] == []  # the stream ended: no hang


def test_one_address_holds_only_a_few_streams(tmp_path: Path, mockpartners_credentials: Path) -> None:
    limits = AdminLimits(streams_per_address=2)
    with admin_suite(tmp_path, mockpartners_credentials, admin_limits=limits) as suite:
        with stream(suite) as first, stream(suite) as second:
            assert first.response.status == second.response.status == 200
            with stream(suite) as third:
                assert third.response.status == 503
                assert "at most 2 streams per address" in json.loads(third.response.read())["error"]
        # the closed ones are let go once the server sees them gone (its next half-second slice)
        deadline = time.monotonic() + 5
        while True:
            with stream(suite) as again:
                if again.response.status == 200 or time.monotonic() > deadline:
                    assert again.response.status == 200
                    break
