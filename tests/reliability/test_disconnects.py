"""Clients that vanish in the middle of an upload: the partial file is never taken as a request.

tests/protocols already cut an asyncssh connection (``abort``) and an ftplib data channel (no TLS
close_notify) while the client lives on. Here the client itself goes: a real client process killed with
SIGKILL (alone, or with its children), an SFTP channel ended without closing the file, an FTPS control
connection cut under a running transfer. Each time a second account uploads at the same moment and is
answered as usual, and a later upload of the same account is answered: the ordering barrier after which
the vanished upload provably got no answer at all.

Uploads are paced with the ``bandwidth`` scenario, so a client is always cut mid-file; the tests wait for
the partner's file to grow (re-checked at every journal event), never for a fixed time.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from mockpartners import Event, Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, curl_ftps_options, require, sftp_command
from tests.reliability.sessions import (
    answered,
    ftps_session,
    inbox_and_answers,
    sftp_session,
    size_on_server,
    sparse_file,
)

SOURCE_SIZE = 1024**3  # sparse on the client side; never sent whole: at the paced rate it would take a minute
PACE = 16_000_000  # bytes per second
CUT_AFTER = 256 * 1024  # the client vanishes once the partner holds this much of the file
# OpenSSH sftp keeps up to 64 requests of 256 KiB in flight: killed alone, its ssh still delivers them (a
# second at the paced rate) before ending the channel, so the partner may take a few seconds to see the end
CLOSED_WITHIN = 30

Vanish = Callable[[Partner, Path, str], AbstractContextManager[None]]


# -- ways an SFTP client vanishes (the partner is ONSS, the file goes straight into IN) --------------------


@contextlib.contextmanager
def _openssh_sftp(partner: Partner, source: Path, path: str, *, kill: str) -> Iterator[None]:
    """OpenSSH sftp uploading, SIGKILLed on leaving the block: ``sftp`` alone (its ssh child then ends the
    channel politely, the file never closed), ``sftp-then-ssh`` (ssh dies while it still delivers what sftp
    had queued: the partner was reading slower than the client sent) or the whole ``group`` at once."""
    account = partner.account()
    command = sftp_command(partner.endpoint(), account.username, key=account.private_key)
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: ssh is ended with it below, whatever happens
    )
    try:
        assert process.stdin is not None
        process.stdin.write(f"put {source} {path}\n")
        process.stdin.flush()
        yield
        if kill == "group":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=10)
        if kill == "sftp":
            partner.journal.wait_for(kind="fs.close", path=path, timeout=CLOSED_WITHIN)  # ssh's own end
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def _paramiko_channel_ended(partner: Partner, source: Path, path: str) -> Iterator[None]:
    """The SFTP channel is closed with the file still open; the SSH connection itself stays up."""
    transport, sftp = sftp_session(partner)
    with transport:
        remote = sftp.open(path, "wb")
        remote.write(b"<partial/>" * (CUT_AFTER // 10 + 1))
        remote.flush()
        yield
        sftp.close()  # no CLOSE for the file: the client never said it was done


CHANNEL_ENDED = "the client ended its SFTP channel without closing the file"
CONNECTION_LOST = "the connection was lost before the client closed the file"
SFTP_VANISHING = [
    pytest.param(functools.partial(_openssh_sftp, kill="sftp"), CHANNEL_ENDED, id="sftp-killed"),
    pytest.param(
        functools.partial(_openssh_sftp, kill="sftp-then-ssh"), CONNECTION_LOST, id="sftp-then-ssh-killed"
    ),
    pytest.param(functools.partial(_openssh_sftp, kill="group"), CONNECTION_LOST, id="sftp-and-ssh-killed"),
    pytest.param(_paramiko_channel_ended, CHANNEL_ENDED, id="paramiko-channel-ended"),
]


# -- ways an FTPS client vanishes (MAGDA, direct uploads allowed so that a whole file would be taken) ------


@contextlib.contextmanager
def _curl_killed(partner: Partner, source: Path, path: str) -> Iterator[None]:
    account = partner.account()
    endpoint = partner.endpoint()
    options = curl_ftps_options(endpoint, account.username, certificate=Certificate.of(account))
    url = f"ftp://{endpoint.host}:{endpoint.port}/{path}"
    process = subprocess.Popen(
        [require("curl"), "-sS", *options, "-T", str(source), url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.kill()  # both connections close without TLS close_notify, no QUIT
        process.wait(timeout=10)


@contextlib.contextmanager
def _control_connection_cut(partner: Partner, source: Path, path: str) -> Iterator[None]:
    """The control connection drops under a running STOR; the data connection is left hanging open."""
    client = ftps_session(partner)
    data = client.transfercmd(f"STOR {path}")
    try:
        data.sendall(b"\0" * CUT_AFTER)
        yield
        control = socket.socket(fileno=client.sock.detach())  # type: ignore[union-attr]
        control.shutdown(socket.SHUT_RDWR)  # no TLS close_notify, no QUIT
        control.close()
        # the partner must end the transfer on its own, although the data connection is still open
        partner.journal.wait_for(kind="fs.close", path=path, timeout=CLOSED_WITHIN)
    finally:
        socket.socket(fileno=data.detach()).close()


FTPS_VANISHING = [
    pytest.param(_curl_killed, "", id="curl-killed"),  # which connection the partner sees end first varies
    pytest.param(_control_connection_cut, "the transfer was aborted", id="control-connection-cut"),
]


# -- the tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("vanish", "reason"), SFTP_VANISHING)
def test_an_sftp_client_vanishing_mid_upload(
    mockpartners: SuiteFactory, tmp_path: Path, vanish: Vanish, reason: str
) -> None:
    onss = mockpartners("onss")["onss"]
    closed = _vanish_mid_upload(onss, vanish, tmp_path, "IN/DMFA.VANISHED.xml", other="UM0000002")
    assert closed.detail["reason"] == reason


@pytest.mark.parametrize(("vanish", "reason"), FTPS_VANISHING)
def test_an_ftps_client_vanishing_mid_upload(
    mockpartners: SuiteFactory, tmp_path: Path, vanish: Vanish, reason: str
) -> None:
    # with MAGDA's own "harsh" setting, a direct upload is taken (as invalid) the moment it starts: allowing
    # direct uploads makes a whole file the only way in, so that taking a cut one would show
    magda = mockpartners("magda", settings=["magda.pickup.direct_uploads=allowed"])["magda"]
    closed = _vanish_mid_upload(magda, vanish, tmp_path, "to_vip/VANISHED.xml", other="afnemer-0002")
    assert reason in closed.detail["reason"]


def _vanish_mid_upload(partner: Partner, vanish: Vanish, tmp_path: Path, path: str, *, other: str) -> Event:
    """Cut an upload while another account uploads; returns the journal's end of the cut one."""
    source = sparse_file(tmp_path / "client" / "VANISHED.xml", SOURCE_SIZE)
    username = partner.account().username
    partner.scenarios.on("bandwidth", bytes_per_second=PACE)
    with vanish(partner, source, path):
        _wait_until_written(partner, username, path, CUT_AFTER)
        concurrent = answered(partner, "CONCURRENT.xml", other)  # another account, meanwhile
        assert concurrent.kind == "partner.answer", concurrent
    closed = partner.journal.wait_for(kind="fs.close", path=path, timeout=CLOSED_WITHIN)
    _assert_never_taken(partner, username, path, closed)
    return closed


def _wait_until_written(partner: Partner, username: str, path: str, size: int) -> None:
    partner.journal.wait_for(kind="fs.open", path=path, timeout=10)
    partner.journal.wait_until(
        lambda: size_on_server(partner, username, path) >= size, 10, f"{size} bytes of {path} on the partner"
    )


def _assert_never_taken(partner: Partner, username: str, path: str, closed: Event) -> None:
    assert closed.detail["complete"] is False, closed
    assert closed.detail.get("reason"), closed
    assert 0 < closed.detail["bytes_written"] < SOURCE_SIZE, closed
    assert partner.journal.wait_for(kind="partner.incomplete", path=path).ref == closed.id
    assert partner.journal.wait_for(kind="session.disconnect", session=closed.session).id > closed.id

    barrier = answered(partner, "AFTERWARDS.xml", username)  # the same account, after the cut
    assert barrier.kind == "partner.answer", barrier
    follow_ups = ["partner.pickup", "partner.answer", "partner.reject", "partner.ignore", "partner.skip"]
    assert partner.journal.events(kind=follow_ups, path=path) == []
    stem = Path(path).stem
    answers = partner.files(username).list(inbox_and_answers(partner)[1])
    assert [name for name in answers if stem in name] == []
    assert 0 < size_on_server(partner, username, path) < SOURCE_SIZE  # the partial file is left as it is
