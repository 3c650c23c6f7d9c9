"""Half-sent requests cannot exhaust the process (issue 9, item 2): 2 x 10,000 of them, never timed out,
once used up every descriptor. Raw sockets from several loopback addresses play the attacker, against an
admin API whose limits are small enough to reach in a second or two (the defaults: 10 s, 64 per address,
256 in all)."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from mockpartners import Suite
from mockpartners.app.admin import AdminLimits
from tests.admin.conftest import admin_suite

LIMITS = AdminLimits(header_timeout=1.0, connections_per_address=4, connections=10)


@pytest.fixture
def suite(tmp_path: Path, mockpartners_credentials: Path) -> Iterator[Suite]:
    with admin_suite(tmp_path, mockpartners_credentials, admin_limits=LIMITS) as started:
        yield started


def _connect(suite: Suite, source: str, stack: ExitStack) -> socket.socket:
    assert suite.admin is not None
    client = stack.enter_context(socket.create_connection(("127.0.0.1", suite.admin.port), 10, (source, 0)))
    return client


def _half_sent(suite: Suite, source: str, stack: ExitStack) -> socket.socket:
    """A request whose headers never end (slowloris)."""
    client = _connect(suite, source, stack)
    client.sendall(b"GET /v1/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return client


def _last_words(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := client.recv(4096):
        received += chunk
    return received


def _health(suite: Suite, source: str) -> int:
    """GET /health from ``source`` (a raw socket: urllib cannot choose its source address)."""
    with ExitStack() as stack:
        client = _connect(suite, source, stack)
        client.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return int(_last_words(client).split()[1])


def test_half_sent_requests_are_closed_after_the_timeout(suite: Suite) -> None:
    with ExitStack() as stack:
        started = time.monotonic()
        slow = [_half_sent(suite, "127.0.0.1", stack) for _ in range(4)]
        slow += [_half_sent(suite, "127.0.0.2", stack) for _ in range(4)]
        assert _health(suite, "127.0.0.3") == 200  # served meanwhile
        for client in slow:
            last = _last_words(client)
            assert last.startswith(b"HTTP/1.1 408 Request Timeout"), last
            assert b"the request's headers did not arrive within 1 s" in last
        elapsed = time.monotonic() - started
        assert 0.9 <= elapsed < 10, elapsed
    assert _health(suite, "127.0.0.1") == 200  # their slots are free again


def test_a_kept_alive_connection_gets_the_same_time_for_its_next_request(suite: Suite) -> None:
    assert suite.admin is not None
    connection = http.client.HTTPConnection("127.0.0.1", suite.admin.port, timeout=10)
    with closing(connection):
        connection.request("GET", "/health")
        assert json.loads(connection.getresponse().read())["status"] == "ok"
        assert connection.sock is not None
        started = time.monotonic()
        connection.sock.sendall(b"GET /v1/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _last_words(connection.sock) == b""  # closed
        assert 0.9 <= time.monotonic() - started < 10


def test_connections_beyond_the_limits_are_closed_at_once(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    """The held connections must outlive the whole flood: 2 s here, so a loaded runner keeps up."""
    limits = AdminLimits(header_timeout=2.0, connections_per_address=4, connections=10)
    with admin_suite(tmp_path, mockpartners_credentials, admin_limits=limits) as suite, ExitStack() as stack:
        held = [_half_sent(suite, "127.0.0.1", stack) for _ in range(4)]
        for _ in range(20):  # an attacker's flood from one address: each answered and closed at once
            opened = time.monotonic()
            refused = _last_words(_connect(suite, "127.0.0.1", stack))
            assert time.monotonic() - opened < limits.header_timeout  # not left to time out
            assert refused.startswith(b"HTTP/1.1 503 Service Unavailable"), refused
            assert b"too many connections from 127.0.0.1 (4 at once" in refused
        assert _health(suite, "127.0.0.2") == 200  # another address is served
        for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.4", "127.0.0.4"):
            held.append(_half_sent(suite, source, stack))
        crowded = _last_words(_connect(suite, "127.0.0.5", stack))  # 10 open in all
        assert b"too many connections (10 at once" in crowded
        for client in held:  # the server closes them at the timeout, and counts them no more
            assert _last_words(client).startswith(b"HTTP/1.1 408")
        assert suite.admin is not None
        with urllib.request.urlopen(f"{suite.admin.url}/health", timeout=10) as answer:
            assert answer.status == 200
