"""The pytest plugin as a user's project sees it: fixtures, fresh states, safe under xdist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

USER_TESTS = """
import paramiko
import pytest

from mockpartners import Partner


def _upload(partner: Partner, name: str) -> None:
    account = partner.account()
    endpoint = partner.endpoint()
    transport = paramiko.Transport((endpoint.host, endpoint.port))
    transport.connect(username=account.username, pkey=paramiko.PKey.from_path(account.private_key))
    with transport, paramiko.SFTPClient.from_transport(transport) as sftp:
        with sftp.open(f"IN/{name}", "w") as remote:
            remote.write("<request/>")


@pytest.mark.parametrize("number", range(4))
def test_each_test_has_its_own_partner(onss: Partner, number: int) -> None:
    assert onss.files().list("OUT") == []  # a fresh state directory every time
    _upload(onss, f"REQ{number}.xml")
    assert onss.wait_for_answer(f"IN/REQ{number}.xml").kind == "partner.answer"
    assert len(onss.journal.events(kind="partner.answer")) == 1


def test_factory_with_settings(mockpartners) -> None:
    suite = mockpartners("onss", settings=["onss.pickup.answers.accepted.name=ACK_${name}"])
    _upload(suite["onss"], "A.xml")
    assert suite["onss"].wait_for_answer("IN/A.xml").detail["answer"] == "OUT/ACK_A.xml"
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_fixtures_in_a_user_project(pytester: pytest.Pytester, workers: str) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", workers)
    result.assert_outcomes(passed=5)


SHARED_TESTS = """
import socket

from mockpartners import Partner
from mockpartners.processors import PickupProcessor

LEAKED = []


def _leave_everything_behind(onss: Partner) -> None:
    onss.clock.freeze()
    onss.scenarios.on("answers-late", delay="10m")
    onss.scenarios.on("reject-requests")
    onss.files().drop("IN/LATE.xml", "<request/>")  # its pickup waits 10 minutes on the frozen clock
    onss.clock.advance("5m")
    assert onss.scheduler.pending() == 1


def _check_fresh(onss: Partner) -> None:
    assert onss.files().list("IN") == [] and not onss.clock.shifted
    assert onss.scenarios.active("reject-requests") is None and onss.scheduler.pending() == 0
    assert onss.journal.events(kind="partner.drop") == []
    onss.clock.freeze()
    onss.clock.advance("20m")
    onss.wait_until_idle()
    assert onss.journal.events(kind="partner.*") == [], "the pickup planned before never fires"


def test_1_leaves_everything_behind(onss: Partner) -> None:
    _leave_everything_behind(onss)


def test_2_finds_a_fresh_partner_in_the_same_suite(onss: Partner, mockpartners_shared) -> None:
    _check_fresh(onss)
    assert mockpartners_shared.started == 1


def test_3_leaves_everything_behind_again(onss: Partner) -> None:
    _leave_everything_behind(onss)


def test_4_finds_a_fresh_partner_again(onss: Partner, mockpartners_shared) -> None:
    _check_fresh(onss)
    assert mockpartners_shared.started == 1


def _fail_in_the_background(onss: Partner, monkeypatch) -> None:
    def broken(self, request, *, premature=False):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(PickupProcessor, "_take", broken)
    onss.files().drop("IN/BROKEN.xml", "<request/>")
    onss.journal.wait_for(kind="partner.error")


def test_5_a_failure_in_the_background_fails_its_test(onss: Partner, monkeypatch) -> None:
    _fail_in_the_background(onss, monkeypatch)


def test_6_but_not_the_next_one(onss: Partner) -> None:
    assert onss.journal.events(kind="partner.error") == [] and onss.scheduler.pending() == 0


def test_7_unless_allowed(onss: Partner, mockpartners, monkeypatch) -> None:
    mockpartners.allow_partner_errors()
    _fail_in_the_background(onss, monkeypatch)


def test_8_leaves_a_client_connected(onss: Partner) -> None:
    endpoint = onss.endpoint()
    LEAKED.append(socket.create_connection((endpoint.host, endpoint.port)))
    onss.journal.wait_for(kind="session.connect")


def test_9_gets_a_new_suite_without_it(onss: Partner, mockpartners_shared) -> None:
    assert onss.open_sessions() == [] and onss.journal.events(kind="session.*") == []
    assert mockpartners_shared.started == 2


def test_10_lets_go_of_its_port_for_a_while(onss: Partner) -> None:
    with onss.scenarios("port-closed"):
        pass  # another process on the machine may take the port meanwhile


def test_11_gets_a_new_suite_after_that(onss: Partner, mockpartners_shared) -> None:
    assert mockpartners_shared.started == 3


def test_every_built_in_profile_has_its_fixture(request) -> None:
    from mockpartners.model.loading import builtin_names

    for name in builtin_names():
        assert request.getfixturevalue(name.replace("-", "_")).name == name
"""


def test_partner_fixtures_share_a_suite_reset_between_tests(
    pytester: pytest.Pytester, mockpartners_credentials: Path
) -> None:
    """In file order (the suite above runs users' tests under xdist too): each test finds the partner as
    fresh as new, in the same suite, unless the test before left a client connected."""
    pytester.makepyfile(test_shared=SHARED_TESTS)
    # where the project's session looks for the generated keys (beside its basetemp): ours, not new ones
    shutil.copytree(mockpartners_credentials, pytester.path / "mockpartners-credentials")
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "0")
    result.assert_outcomes(passed=12, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_5_a_failure_in_the_background_fails_its_test*",
            "*partner.error*OSError: [[]Errno 5[]] Input/output error*",
        ]
    )
