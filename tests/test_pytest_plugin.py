"""The pytest plugin as a user's project sees it: fixtures, fresh states, safe under xdist."""

from __future__ import annotations

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
