"""Exhausting MAGDA's connections from loopback: a cap per client address (like vsftpd's ``max_per_ip``)
whose slots come back however a connection ends, and a listener that survives running out of file
descriptors (reported once, serving again as soon as descriptors are free)."""

from __future__ import annotations

import ftplib
import resource
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from mockpartners import EndpointInfo, Journal, Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, curl_ftps
from tests.running import up

TOO_MANY = "421 Too many connections from your internet address."


@contextmanager
def _control(endpoint: EndpointInfo, source: str = "127.0.0.1") -> Iterator[ftplib.FTP]:
    """A plain control connection that got its greeting (raises ftplib's error for a 421 greeting)."""
    client = ftplib.FTP(timeout=10)
    client.connect(endpoint.host, endpoint.port, source_address=(source, 0))
    try:
        yield client
    finally:
        client.close()


def _greeting(endpoint: EndpointInfo, source: str = "127.0.0.1") -> str:
    try:
        with _control(endpoint, source) as client:
            return client.welcome or ""
    except ftplib.error_temp as refusal:
        return str(refusal)


def _ended(partner: Partner, count: int) -> None:
    """Until ``count`` sessions have ended (each released its slot before journalling its end)."""
    partner.journal.wait_until(
        lambda: len(partner.journal.events(kind="session.disconnect")) >= count,
        10,
        f"{count} sessions to end",
    )


def test_connections_per_address_are_capped_and_every_ending_frees_its_slot(
    mockpartners: SuiteFactory,
) -> None:
    magda = mockpartners("magda", settings=["magda.limits.connections_per_address=3"])["magda"]
    endpoint = magda.endpoint()
    with ExitStack() as stack:
        first, second, _ = (stack.enter_context(_control(endpoint)) for _ in range(3))
        assert _greeting(endpoint) == TOO_MANY
        refused = magda.journal.wait_for(kind="session.refused")
        assert "limits.connections_per_address" in refused.detail["reason"]
        assert _greeting(endpoint, "127.0.0.2").startswith("220 ")  # another address is not affected

        first.quit()  # a polite end
        _ended(magda, 3)  # the refused one, 127.0.0.2's and this one
        stack.enter_context(_control(endpoint))
        second.close()  # an abrupt one: no QUIT
        _ended(magda, 4)
        stack.enter_context(_control(endpoint))
        assert _greeting(endpoint) == TOO_MANY

    for _ in range(4):  # an address on no allowlist is refused after it was counted: released each time
        with pytest.raises((EOFError, ConnectionError)):
            _greeting(endpoint, "127.0.0.9")
    reasons = {event.detail["reason"] for event in magda.journal.events(kind="session.refused")}
    assert "address on no account's allowlist" in reasons
    assert not any("127.0.0.9" in reason for reason in reasons)  # never "too many connections"


def test_banned_and_banning_connections_free_their_slots(mockpartners: SuiteFactory) -> None:
    settings = [
        "magda.limits.connections_per_address=2",
        "magda.failed_logins.ban_after=1",
        "magda.endpoints.ftps.failed_login_delay=0s",
    ]
    magda = mockpartners("magda", settings=settings)["magda"]
    endpoint, first, second = magda.endpoint(), magda.account("afnemer-0001"), magda.account("afnemer-0002")
    wrong = curl_ftps(
        endpoint, second.username, "/", "-l", certificate=Certificate.of(first), source="127.0.0.2"
    )
    assert wrong.returncode == 67, wrong.stderr  # the connection that got the address banned
    for _ in range(3):
        assert _greeting(endpoint, "127.0.0.2").startswith("421 Too many failed logins")
    magda.clock.advance("10m")  # the ban runs out
    _ended(magda, 4)
    with _control(endpoint, "127.0.0.2"), _control(endpoint, "127.0.0.2"):
        assert _greeting(endpoint, "127.0.0.2") == TOO_MANY


# -- out of file descriptors ------------------------------------------------------------------------------

DESCRIPTORS = 96
"""RLIMIT_NOFILE of the server process: what it needs to start, and a few dozen clients more."""


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))  # the hard limit too: no raising


def test_running_out_of_descriptors_is_reported_once_and_serving_resumes(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    settings = ["--set", "magda.limits.connections_per_address=1000"]
    with up(
        tmp_path / "state",
        mockpartners_credentials,
        *settings,
        partner="magda",
        preexec_fn=_limit_descriptors,
    ) as running:
        info = running.info["magda"]
        endpoint = info.endpoint()
        journal = Journal(running.state / "journal.sqlite3", read_only=True)
        clients = [
            socket.create_connection((endpoint.host, endpoint.port), timeout=10) for _ in range(DESCRIPTORS)
        ]
        journal.wait_for(kind="suite.resource", timeout=10)
        for client in clients:  # the accepted ones get a greeting, the others wait in the backlog
            client.close()

        account = info.account()
        served = curl_ftps(endpoint, account.username, "/", "-l", certificate=Certificate.of(account))
        assert served.returncode == 0, served.stderr
        assert sorted(served.stdout.split()) == ["cache", "from_vip", "publiek", "to_vip"]
    assert running.errors.count("out of file descriptors") == 1, running.errors
    assert len(running.errors.splitlines()) < 10, running.errors
