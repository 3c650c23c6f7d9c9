"""One SFTP session cannot exhaust the partner's file descriptors (issue 9, item 2).

An authenticated session used to open 19,783 handles on one file. Files and folder listings held open at once
are now capped per connection, all its SFTP channels together, by ``limits.open_handles`` (100): beyond it an
OPEN or OPENDIR gets SFTP status 4 "Too many open files", journalled as refused; closing one frees its slot;
``limits@openssh.com`` tells clients the limit.
"""

from __future__ import annotations

import paramiko
import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import paramiko_sftp, sftp_batch


def _announced_limit(partner: Partner) -> str:
    """What OpenSSH's sftp reads from ``limits@openssh.com`` (it then keeps fewer requests in flight)."""
    account = partner.account()
    result = sftp_batch(
        partner.endpoint(), account.username, "ls\n", key=account.private_key, options=["-vvv"]
    )
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stderr.splitlines() if "server handle limit" in line)


def test_a_session_opening_one_file_again_and_again_is_stopped_at_the_limit(onss: Partner) -> None:
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        handles = [sftp.open("IN/ONE.xml", "ab") for _ in range(100)]
        with pytest.raises(OSError, match="Too many open files"):
            sftp.open("IN/ONE.xml", "ab")
        for handle in handles:
            handle.close()
    refused = onss.journal.wait_for(kind="fs.open", outcome="refused")
    assert refused.detail["limit"] == "open_handles" and "limits.open_handles" in refused.detail["reason"]
    assert _announced_limit(onss).endswith("server handle limit 100; using 64")


def test_files_and_listings_share_the_limit_and_closing_one_frees_a_slot(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.limits.open_handles=5"])["onss"]
    assert _announced_limit(onss).endswith("server handle limit 5; using 5")
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    other_transport, other = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp, other_transport, other:
        handles = [sftp.open(f"IN/H{number}.xml", "wb") for number in range(5)]
        with pytest.raises(OSError, match="Too many open files"):
            sftp.open("IN/H5.xml", "wb")
        with pytest.raises(OSError, match="Too many open files"):
            sftp.listdir("IN")
        assert "IN" in other.listdir("/")  # the limit is per connection
        handles.pop().close()
        assert "H0.xml" in sftp.listdir("IN")  # the listing takes the freed slot and gives it back
        handles.append(sftp.open("IN/H5.xml", "wb"))
        for handle in handles:
            handle.close()
    refused = onss.journal.events(kind=["fs.open", "fs.list"], outcome="refused")
    assert [(event.kind, event.path) for event in refused] == [("fs.open", "IN/H5.xml"), ("fs.list", "IN")]
    assert all(event.detail["limit"] == "open_handles" for event in refused)


def test_the_channels_of_one_connection_share_the_limit(mockpartners: SuiteFactory) -> None:
    onss = mockpartners("onss", settings=["onss.limits.open_handles=4"])["onss"]
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp, paramiko.SFTPClient.from_transport(transport) as second:  # a second SFTP channel
        handles = [sftp.open(f"IN/C{number}.xml", "wb") for number in range(2)]
        handles += [second.open(f"IN/D{number}.xml", "wb") for number in range(2)]
        with pytest.raises(OSError, match="Too many open files"):
            second.open("IN/D2.xml", "wb")
        for handle in handles:
            handle.close()
