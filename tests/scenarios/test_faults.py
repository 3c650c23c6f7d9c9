"""Generic faults, for every protocol: latency, bandwidth, cuts, failing writes, a full disk, restarts."""

from __future__ import annotations

import ftplib
import io
import os
import time
from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner
from tests.clients import Certificate, ftplib_tls, paramiko_sftp, sftp_batch

PAYLOAD = os.urandom(300_000)


def _sftp(onss: Partner) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    account = onss.account()
    return paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)


def _ftps(magda: Partner) -> ftplib.FTP_TLS:
    client = ftplib_tls(magda.endpoint(), Certificate.of(magda.account()))
    client.login(magda.account().username, "")
    client.prot_p()
    return client


def test_latency_slows_every_reply(onss: Partner, magda: Partner) -> None:
    transport, sftp = _sftp(onss)
    with transport, sftp, onss.scenarios("latency", ms=150):
        started = time.monotonic()
        sftp.listdir("OUT")
        sftp.stat("IN")
        assert time.monotonic() - started >= 0.3  # a lower bound only: two delayed replies
    with _ftps(magda) as client, magda.scenarios("latency", ms=150):
        started = time.monotonic()
        client.pwd()
        client.cwd("to_vip")
        assert time.monotonic() - started >= 0.3


def test_bandwidth_caps_transfers(onss: Partner, magda: Partner) -> None:
    transport, sftp = _sftp(onss)
    with transport, sftp, onss.scenarios("bandwidth", bytes_per_second=500_000):
        started = time.monotonic()
        sftp.putfo(io.BytesIO(PAYLOAD), "IN/SLOW.xml", confirm=False)
        assert time.monotonic() - started >= 0.5
    with _ftps(magda) as client, magda.scenarios("bandwidth", bytes_per_second=500_000):
        started = time.monotonic()
        client.storbinary("STOR from_vip/SLOW.bin", io.BytesIO(PAYLOAD))
        assert time.monotonic() - started >= 0.5
    assert magda.files().read("from_vip/SLOW.bin") == PAYLOAD


def test_disconnect_after_bytes_cuts_an_upload(onss: Partner, magda: Partner) -> None:
    onss.scenarios.on("disconnect-after-bytes", bytes=65_536)
    transport, sftp = _sftp(onss)
    with transport, pytest.raises((OSError, EOFError, paramiko.SSHException)):
        sftp.putfo(io.BytesIO(PAYLOAD), "IN/CUT.xml", confirm=False)
    closed = onss.journal.wait_for(kind="fs.close", path="IN/CUT.xml")
    assert closed.detail["complete"] is False
    assert onss.journal.wait_for(kind="scenario.fault").detail["scenario"] == "disconnect-after-bytes"
    onss.scenarios.off("disconnect-after-bytes")
    transport, sftp = _sftp(onss)
    with transport, sftp:
        sftp.putfo(io.BytesIO(PAYLOAD), "IN/WHOLE.xml", confirm=False)

    magda.scenarios.on("disconnect-after-bytes", bytes=65_536)
    with pytest.raises((OSError, EOFError, ftplib.Error)), _ftps(magda) as client:
        client.storbinary("STOR from_vip/CUT.bin", io.BytesIO(PAYLOAD))
    assert magda.journal.wait_for(kind="fs.close", path="from_vip/CUT.bin").detail["complete"] is False


def test_the_nth_write_fails(onss: Partner, magda: Partner, request_file: Path) -> None:
    account = onss.account()
    with onss.scenarios("fail-nth-write", n=1):
        failed = sftp_batch(
            onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
        )
        assert failed.returncode != 0 and "Failure" in failed.stderr
        # the file holds what came before the failed write: never taken as a whole request
        closed = onss.journal.wait_for(kind="fs.close", path=f"IN/{request_file.name}")
        assert closed.detail["complete"] is False
        assert closed.detail["reason"] == "a write failed (scenario fail-nth-write or fail-writes)"
        assert onss.journal.wait_for(kind="partner.incomplete").ref == closed.id
        again = sftp_batch(
            onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
        )
        assert again.returncode == 0, again.stderr
    with _ftps(magda) as client, magda.scenarios("fail-nth-write", n=2):
        client.storbinary("STOR from_vip/ONE.bin", io.BytesIO(b"1"))
        with pytest.raises(ftplib.error_temp, match="451"):
            client.storbinary("STOR from_vip/TWO.bin", io.BytesIO(b"2"))
        client.storbinary("STOR from_vip/THREE.bin", io.BytesIO(b"3"))


def test_random_write_failures_repeat_with_the_same_seed(magda: Partner) -> None:
    def run() -> list[bool]:
        outcomes = []
        with _ftps(magda) as client, magda.scenarios("fail-writes", probability=0.5, seed=7):
            for number in range(12):
                try:
                    client.storbinary(f"STOR from_vip/R{number}.bin", io.BytesIO(b"x"))
                    outcomes.append(True)
                except ftplib.error_temp:
                    outcomes.append(False)
        return outcomes

    first, second = run(), run()
    assert first == second
    assert True in first and False in first


def test_disk_full(onss: Partner, magda: Partner, request_file: Path) -> None:
    account = onss.account()
    with onss.scenarios("disk-full"):
        result = sftp_batch(
            onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
        )
        assert result.returncode != 0
        assert "Failure" in result.stderr or "space" in result.stderr
    with _ftps(magda) as client, magda.scenarios("disk-full"), pytest.raises(ftplib.error_temp, match="452"):
        client.storbinary("STOR from_vip/FULL.bin", io.BytesIO(b"x"))


def test_restart_mid_transfer(onss: Partner, magda: Partner) -> None:
    onss.scenarios.on("restart-mid-transfer", bytes=65_536)
    transport, sftp = _sftp(onss)
    with transport, pytest.raises((OSError, EOFError, paramiko.SSHException)):
        sftp.putfo(io.BytesIO(PAYLOAD), "IN/RESTART.xml", confirm=False)
    onss.journal.wait_for(kind="endpoint.restart", partner="onss")  # one restart, then the scenario is off
    assert onss.scenarios.active("restart-mid-transfer") is None
    transport, sftp = _sftp(onss)
    with transport, sftp:
        assert "IN" in sftp.listdir(".")

    magda.scenarios.on("restart-mid-transfer", bytes=65_536)
    with pytest.raises((OSError, EOFError, ftplib.Error)), _ftps(magda) as client:
        client.storbinary("STOR from_vip/RESTART.bin", io.BytesIO(PAYLOAD))
    magda.journal.wait_for(kind="endpoint.restart", partner="magda")
    with _ftps(magda) as client:
        assert "to_vip" in client.nlst()
