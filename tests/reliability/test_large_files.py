"""A file over 2 GiB goes up and comes back down through each protocol, with constant server memory.

The servers run in this very process (the pytest plugin starts them in-process), so a thread samples this
process's resident memory (VmRSS) while real clients transfer: OpenSSH sftp for ONSS, curl for MAGDA.

Why 64 MiB: what a streaming server holds for one transfer is bounded by its buffers, not by the file: for
SFTP the SSH channel window and stream buffer (2 MiB each) and the requests in flight (OpenSSH keeps 64 of
up to 256 KiB: 16 MiB), for FTPS pyftpdlib's 64 KiB reads and the TLS records. The rest is the allocator's
slack. A server that kept the file, or a growing share of it, in memory would grow by gigabytes; one that
streams grows by a few MiB (measured: 20 MiB during the first SFTP transfer of a process, allocator
warm-up included; under 1 MiB for FTPS). 64 MiB is 3% of the file, far from both.

The client's file is sparse (zeros taking no disk) with random 64 KiB blocks at three offsets, so that its
content can be checked without a second copy: the partner's SHA-256 of the ONSS request (the pickup reads
the whole upload, so this also shows that the partner-side processing streams), the blocks in the stored
file and in ranged downloads, and the sizes the journal and the clients count. Downloads go to /dev/null.
OpenSSH uses AES-GCM, the cipher asyncssh decrypts fastest, to keep the test within a minute.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, curl, curl_ftps_options, require, sftp_command
from tests.reliability.sessions import sftp_session, sparse_file

SIZE = 2 * 1024**3 + 4097
BLOCK = 64 * 1024
OFFSETS = (0, SIZE // 2 + 4093, SIZE - BLOCK)  # where the random blocks sit in the sparse file
GROWTH_BOUND = 64 * 1024**2
DISK_NEEDED = 6 * 1024**3  # the partner's copy (2 GiB) with room to spare; the client's file is sparse
TRANSFER_TIMEOUT = 180


@dataclass(frozen=True)
class Source:
    path: Path
    sha256: str
    blocks: dict[int, bytes]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    folder = tmp_path_factory.mktemp("large")
    free = shutil.disk_usage(folder).free
    if free < DISK_NEEDED:  # not a missing client: CI machines with a small disk skip too
        pytest.skip(f"a 2 GiB transfer needs {DISK_NEEDED >> 30} GiB free on {folder}, only {free >> 20} MiB")
    path = sparse_file(folder / "LARGE.2GB.xml", SIZE)
    blocks = {offset: os.urandom(BLOCK) for offset in OFFSETS}
    with open(path, "r+b") as handle:
        for offset, block in blocks.items():
            handle.seek(offset)
            handle.write(block)
    yield Source(path, _sha256(blocks), blocks)
    path.unlink()


def _sha256(blocks: dict[int, bytes]) -> str:
    """The SHA-256 of the sparse file, from its layout (reading 2 GiB of holes back costs seconds)."""
    digest, zeros, position = hashlib.sha256(), memoryview(bytes(1 << 20)), 0
    for offset, block in [*sorted(blocks.items()), (SIZE, b"")]:
        while position < offset:
            step = min(len(zeros), offset - position)
            digest.update(zeros[:step])
            position += step
        digest.update(block)
        position += len(block)
    return digest.hexdigest()


class ResidentMemory:
    """The growth of this process's VmRSS while the block runs, sampled every 20 ms on a thread."""

    def __init__(self) -> None:
        self.baseline = self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def __enter__(self) -> ResidentMemory:
        self.baseline = self.peak = _vm_rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, _vm_rss())

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def _vm_rss() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def test_a_2gb_file_over_sftp(mockpartners: SuiteFactory, source: Source) -> None:
    # ONSS gives no read right in IN; granting it lets the same file come back down after the partner took it
    rights = {"IN": {"rights": ["list", "write", "read"]}}
    onss = mockpartners("onss", overrides={"onss": {"folders": rights}})["onss"]
    account = onss.account()
    command = sftp_command(
        onss.endpoint(), account.username, key=account.private_key, options=["-c", "aes128-gcm@openssh.com"]
    )
    path = "IN/LARGE.2GB.xml"
    try:
        with ResidentMemory() as memory:
            _run(command, f"put {source.path} {path}\n")
            taken = onss.journal.wait_for(kind="partner.pickup", path=path, timeout=60)
            _run(command, f"get {path} /dev/null\n")
        assert memory.growth < GROWTH_BOUND, f"the server grew by {memory.growth >> 20} MiB"
        assert (taken.detail["size"], taken.detail["sha256"]) == (SIZE, source.sha256)
        assert onss.wait_for_answer(path).kind == "partner.answer"
        _assert_transferred(onss, path, source)
        transport, sftp = sftp_session(onss)
        with transport, sftp, sftp.open(path, "rb") as remote:
            for offset, block in source.blocks.items():
                remote.seek(offset)
                assert remote.read(BLOCK) == block, f"the download at {offset}"
    finally:
        (Path(account.home) / path).unlink(missing_ok=True)


def test_a_2gb_file_over_ftps(mockpartners: SuiteFactory, source: Source) -> None:
    magda = mockpartners("magda")["magda"]
    account, endpoint = magda.account(), magda.endpoint()
    options = curl_ftps_options(endpoint, account.username, certificate=Certificate.of(account))
    path = "from_vip/LARGE.2GB.xml"  # to_vip would copy it once more (cache/to_vip): the same streaming
    url = f"ftp://{endpoint.host}:{endpoint.port}/{path}"
    try:
        with ResidentMemory() as memory:
            _check(curl(*options, "-T", str(source.path), url, timeout=TRANSFER_TIMEOUT))
            fetched = curl(
                *options, url, "-o", "/dev/null", "-w", "%{size_download}", timeout=TRANSFER_TIMEOUT
            )
        assert memory.growth < GROWTH_BOUND, f"the server grew by {memory.growth >> 20} MiB"
        assert _check(fetched).stdout == str(SIZE)
        _assert_transferred(magda, path, source)
        for offset, block in source.blocks.items():
            ranged = f"{offset}-{offset + BLOCK - 1}"
            head = subprocess.run(
                [require("curl"), "-sS", *options, "-r", ranged, url, "-o", "-"],
                capture_output=True,
                timeout=60,
            )
            assert head.stdout == block, f"the download at {offset}"
    finally:
        (Path(account.home) / path).unlink(missing_ok=True)


def _assert_transferred(partner: Partner, path: str, source: Source) -> None:
    """The journal counted every byte both ways, and the stored file is the client's, block for block."""
    closes = partner.journal.events(kind="fs.close", path=path)
    written = [event for event in closes if event.detail["mode"] == "write"]
    read = [event for event in closes if event.detail["mode"] == "read"]
    assert [(event.detail["complete"], event.detail["bytes_written"]) for event in written] == [(True, SIZE)]
    assert read and read[0].detail["bytes_read"] == SIZE and read[0].detail["complete"] is True
    stored = Path(partner.account().home) / path
    assert stored.stat().st_size == SIZE
    with open(stored, "rb") as handle:
        for offset, block in source.blocks.items():
            handle.seek(offset)
            assert handle.read(BLOCK) == block, f"the stored file at {offset}"


def _run(command: list[str], batch: str) -> None:
    _check(subprocess.run(command, input=batch, text=True, capture_output=True, timeout=TRANSFER_TIMEOUT))


def _check(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result
