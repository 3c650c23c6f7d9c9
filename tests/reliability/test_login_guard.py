"""Repeated failed logins from one address shut that address out for a while; other addresses carry on.

Real clients each time: OpenSSH ``sftp``, asyncssh and paramiko for ONSS, curl for MAGDA. A ban is journalled
when it starts (``session.banned``) and on every connection it turns away (``session.refused``). Failures
count the moment they are refused, not when their connection ends: connections trying in parallel are banned
while they run.
"""

from __future__ import annotations

import asyncio

import asyncssh
import paramiko
import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, asyncssh_connect, curl_ftps, sftp_batch


def _sftp_ls(onss: Partner, key: str, *, source: str = "127.0.0.1") -> tuple[int, str]:
    result = sftp_batch(
        onss.endpoint(), "EXP0000001", "ls\n", key=key, options=["-o", f"BindAddress={source}"]
    )
    return result.returncode, result.stderr


def test_sftp_failed_logins_ban_the_address_and_spare_the_others(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.failed_logins.ban_after=3"])["onss"]
    info = onss.info()
    assert info.wrong_key is not None
    wrong, right = str(info.wrong_key.private_key), str(onss.account("EXP0000001").private_key)

    for _ in range(3):
        assert _sftp_ls(onss, wrong)[0] != 0
    banned = onss.journal.wait_for(kind="session.banned")
    assert banned.detail["address"] == "127.0.0.1" and banned.detail["failed_logins"] == 3

    returncode, stderr = _sftp_ls(onss, right)  # the right key no longer helps from this address
    assert returncode != 0 and "kex_exchange_identification" in stderr, stderr
    refused = onss.journal.wait_for(kind="session.refused")
    assert "banned until" in refused.detail["reason"] and refused.client.startswith("127.0.0.1:")

    assert _sftp_ls(onss, right, source="127.0.0.2")[0] == 0  # another address is not affected

    onss.clock.advance("10m")  # the ban runs out (on the virtual clock: no waiting)
    assert _sftp_ls(onss, right)[0] == 0


def test_offering_several_keys_before_the_right_one_is_not_a_failed_login(
    mockpartners: SuiteFactory,
) -> None:
    """Clients try every key they hold: a connection that ends logged in never counts, whatever it tried."""
    onss = mockpartners("onss", settings=["onss.failed_logins.ban_after=2"])["onss"]
    info = onss.info()
    assert info.wrong_key is not None
    keys = ["-i", str(info.wrong_key.private_key)]
    for _ in range(3):
        result = sftp_batch(
            onss.endpoint(), "EXP0000001", "ls\n", key=onss.account("EXP0000001").private_key, options=keys
        )
        assert result.returncode == 0, result.stderr
    refusals = onss.journal.events(kind="auth.attempt", outcome="refused")
    assert len(refusals) == 3  # the wrong key was offered first every time
    assert onss.journal.events(kind="session.banned") == []


def test_ftps_failed_logins_ban_the_address_with_a_421(mockpartners: SuiteFactory) -> None:
    magda = mockpartners(
        "magda",
        settings=["magda.failed_logins.ban_after=2", "magda.endpoints.ftps.failed_login_delay=0s"],
    )["magda"]
    first, second = magda.account("afnemer-0001"), magda.account("afnemer-0002")
    endpoint = magda.endpoint()

    for _ in range(2):  # the second account's certificate, under the first account's name: refused
        result = curl_ftps(endpoint, first.username, "/", "-l", certificate=Certificate.of(second))
        assert result.returncode == 67, result.stderr
    banned = magda.journal.wait_for(kind="session.banned")
    assert banned.detail["address"] == "127.0.0.1"

    result = curl_ftps(endpoint, first.username, "/", "-lv", certificate=Certificate.of(first))
    # curl reads a 421 greeting as a timeout: "We got a 421 - timeout", then "(28) Timeout was reached"
    assert result.returncode == 28 and "< 421 Too many failed logins" in result.stderr, result.stderr
    assert "banned until" in magda.journal.wait_for(kind="session.refused").detail["reason"]

    other = curl_ftps(
        endpoint, second.username, "/", "-l", certificate=Certificate.of(second), source="127.0.0.2"
    )
    assert other.returncode == 0, other.stderr

    magda.reset()  # a reset lifts every ban
    assert curl_ftps(endpoint, first.username, "/", "-l", certificate=Certificate.of(first)).returncode == 0


def test_ban_after_null_never_bans(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.failed_logins.ban_after=null"])["onss"]
    info = onss.info()
    assert info.wrong_key is not None
    for _ in range(3):
        assert _sftp_ls(onss, str(info.wrong_key.private_key))[0] != 0
    assert _sftp_ls(onss, str(onss.account("EXP0000001").private_key))[0] == 0
    assert onss.journal.events(kind="session.banned") == []


def test_concurrent_wrong_key_logins_are_banned_while_they_run(mockpartners: SuiteFactory) -> None:
    """30 connections with a wrong key at once (100 used to be all served): the fifth refusal bans the
    address, and the 25 others are turned away, at the greeting or at their attempt."""
    onss = mockpartners("onss", settings=["onss.failed_logins.ban_after=5"])["onss"]
    info = onss.info()
    assert info.wrong_key is not None
    wrong = info.wrong_key.private_key

    async def attempt() -> BaseException | None:
        try:
            async with asyncssh_connect(onss.endpoint(), "EXP0000001", [wrong]):
                return None
        except (asyncssh.Error, OSError) as error:
            return error

    async def all_at_once() -> list[BaseException | None]:
        return await asyncio.gather(*(attempt() for _ in range(30)))

    assert all(outcome is not None for outcome in asyncio.run(all_at_once()))
    onss.journal.wait_until(
        lambda: len(onss.journal.events(kind="session.disconnect")) == 30, 10, "the 30 connections to end"
    )
    banned = onss.journal.wait_for(kind="session.banned")
    assert banned.detail["failed_logins"] == 5
    assert banned.id < onss.journal.events(kind="session.disconnect")[-1].id  # before they all ended
    assert len(onss.journal.events(kind="auth.attempt", outcome="refused")) == 5
    turned_away = onss.journal.events(kind="session.refused")
    assert len(turned_away) == 25 and all("banned until" in event.detail["reason"] for event in turned_away)


def test_a_connection_banned_while_it_tries_is_cut_at_its_next_attempt(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.failed_logins.ban_after=3"])["onss"]
    info = onss.info()
    assert info.wrong_key is not None
    wrong, right = str(info.wrong_key.private_key), str(onss.account("EXP0000001").private_key)
    endpoint = onss.endpoint()

    with paramiko.Transport((endpoint.host, endpoint.port)) as transport:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_publickey("EXP0000001", paramiko.PKey.from_path(wrong))
        trying = onss.journal.wait_for(kind="auth.attempt", outcome="refused").session
        for _ in range(2):  # two more connections from the same address fail: it is banned
            assert _sftp_ls(onss, wrong)[0] != 0
        onss.journal.wait_for(kind="session.banned")
        with pytest.raises((paramiko.SSHException, EOFError, OSError)):
            transport.auth_publickey("EXP0000001", paramiko.PKey.from_path(right))

    cut = onss.journal.wait_for(kind="session.refused", session=trying)
    assert "banned until" in cut.detail["reason"]
    assert onss.journal.events(kind="session.login", session=trying) == []
