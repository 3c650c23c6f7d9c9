"""Admin uploads stream to disk (issue 9, item 13): six 260 MB PUTs once made the process 1.7 GB
resident. The body goes to a private file in STATE/admin-uploads and is moved into place whole; whatever
stops an upload leaves no file behind and is journalled as a failed partner.drop."""

from __future__ import annotations

import http.client
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from mockpartners import Query
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api, files_path
from tests.running import up

MIB = 2**20


def _peak_resident(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


def _pieces(size: int, piece: int = MIB) -> Iterator[bytes]:
    """``size`` bytes of a recognisable pattern, a piece at a time (the test holds no big body either)."""
    block = bytes(range(256)) * (piece // 256)
    for start in range(0, size, piece):
        yield block[: min(piece, size - start)]


def _put(url: str, path: str, size: int, *, chunked: bool = False) -> tuple[int, bytes]:
    """A streamed PUT of ``size`` bytes, with a Content-Length or chunked."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        headers = {"Content-Type": "application/octet-stream"}
        if not chunked:
            headers["Content-Length"] = str(size)
        connection.request("PUT", path, body=_pieces(size), headers=headers, encode_chunked=chunked)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_a_large_upload_does_not_grow_the_process(tmp_path: Path, mockpartners_credentials: Path) -> None:
    size = 200 * MIB
    with up(tmp_path / "state", mockpartners_credentials) as running:
        admin = running.info.admin
        assert admin is not None
        api = Api(admin.url)
        assert api.ok("GET", "/health")["status"] == "ok"  # every route's code loaded before measuring
        before = _peak_resident(running.process.pid)
        status, body = _put(admin.url, files_path("onss", "EXP0000001", "OUT/LARGE.bin"), size)
        assert status == 201, body
        growth = _peak_resident(running.process.pid) - before
        assert growth < 40 * MIB, f"the peak resident set grew by {growth / MIB:.0f} MiB"
        stored = tmp_path / "state" / "onss" / "homes" / "EXP0000001" / "OUT" / "LARGE.bin"
        assert stored.stat().st_size == size
        with stored.open("rb") as content:
            assert content.read(MIB) == next(_pieces(MIB))
        assert os.listdir(tmp_path / "state" / "admin-uploads") == []


def test_a_client_leaving_mid_upload_leaves_no_file(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None
    path = files_path("onss", "EXP0000001", "OUT/HALF.bin")
    cursor = suite.journal.last_id() if suite.journal else 0
    with socket.create_connection(("127.0.0.1", suite.admin.port), timeout=10) as client:
        client.sendall(
            f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {10 * MIB}\r\n\r\n".encode()
        )
        for piece in _pieces(3 * MIB):
            client.sendall(piece)
    failed = suite["onss"].journal.wait_for(Query(kind="partner.drop", outcome="failed", after=cursor))
    assert failed.path == "OUT/HALF.bin" and "the client left after" in failed.detail["reason"]
    assert os.listdir(suite.state.path / "admin-uploads") == []
    assert not (Path(suite["onss"].tree.home("EXP0000001").root) / "OUT" / "HALF.bin").exists()
    assert Api(suite.admin.url).get(path).status == 404


def test_an_upload_that_would_eat_the_disk_reserve_is_refused(mockpartners: SuiteFactory) -> None:
    """The reserve is checked before a byte is written when the size is known, and while the body
    arrives otherwise (chunked): a 507, no file, a failed drop in the journal."""
    reserve = os.statvfs(".").f_blocks * os.statvfs(".").f_frsize  # more than the disk: nothing fits
    suite = mockpartners("onss", admin=True, settings=[f"onss.limits.disk_reserve={reserve}"])
    assert suite.admin is not None
    journal = suite["onss"].journal
    for chunked in (False, True):
        cursor = journal.last_id()
        path = files_path("onss", "EXP0000001", "OUT/BIG.bin")
        status, body = _put(suite.admin.url, path, 4 * MIB, chunked=chunked)
        assert status == 507 and b"no space left: the partner keeps" in body, body
        failed = journal.wait_for(
            Query(kind="partner.drop", outcome="failed", path="OUT/BIG.bin", after=cursor)
        )
        received = failed.detail["received"]
        assert (MIB <= received < 4 * MIB) if chunked else received == 0, received
        assert os.listdir(suite.state.path / "admin-uploads") == []
    assert not (Path(suite["onss"].tree.home("EXP0000001").root) / "OUT" / "BIG.bin").exists()
