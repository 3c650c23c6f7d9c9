"""Throughput of one large file, up and down, with the same real client against every server of a protocol.

SFTP uses OpenSSH's ``sftp -b`` with one cipher forced on both sides; FTPS uses ``curl`` with TLS 1.3 and
one cipher suite forced, PROT P and passive mode, over explicit TLS (``ftp://`` with ``--ssl-reqd``) or
implicit TLS (``ftps://``) as the server's port wants. Each round measures every server back to back, in a
rotating order, so load that comes and goes on the machine hits all of them alike; ratios are taken per
round (between figures measured back to back) and their median counts.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ._common import BenchError, Options, median, paired, program, server_cpu, write_source
from ._servers import Credentials, Target

__all__ = ["Server", "Transfers", "measure_ftps", "measure_sftp"]

FTPS_CIPHER = "TLS_AES_128_GCM_SHA256"
_CURL_TIMES = "%{time_pretransfer} %{time_total} %{size_upload} %{size_download}"


class Server(Protocol):
    label: str

    def start(self) -> float: ...
    def stop(self) -> None: ...
    def target(self) -> Target: ...


@dataclass
class Transfers:
    """Per (direction, cipher) and server label, one value per round: MB/s, and the server's CPU seconds
    per GiB moved (less sensitive to other load on the machine than the wall clock)."""

    protocol: str
    size: int
    rates: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    cpu: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, measure: str, label: str, seconds: float, cpu_seconds: float) -> None:
        # tiny files (--quick) can take less than the login they are measured against: no negative times
        rate = self.size / max(seconds, 1e-3) / 1e6
        self.rates.setdefault(measure, {}).setdefault(label, []).append(rate)
        self.cpu.setdefault(measure, {}).setdefault(label, []).append(
            max(cpu_seconds, 0.0) * 2**30 / self.size
        )

    def median(self, measure: str, label: str, *, cpu: bool = False) -> float | None:
        values = (self.cpu if cpu else self.rates).get(measure, {}).get(label)
        return median(values) if values else None

    def paired(self, measure: str, label: str, other: str, *, cpu: bool = False) -> float | None:
        """The median, over the rounds, of ``label``'s figure over ``other``'s in the same round.

        Both ran back to back in each round, so load that comes and goes over the run (other jobs on the
        machine) weighs on each ratio less than on either figure.
        """
        table = (self.cpu if cpu else self.rates).get(measure, {})
        return paired(table.get(label, []), table.get(other, []))

    def to_json(self) -> dict[str, Any]:
        return {
            "size_bytes": self.size,
            "units": {"rate": "MB/s", "cpu": "server CPU seconds per GiB"},
            "measures": {
                measure: {
                    label: {
                        "rounds": [round(value, 1) for value in values],
                        "best": round(max(values), 1),
                        "median": round(median(values), 1),
                        "cpu_rounds": [round(value, 3) for value in self.cpu[measure][label]],
                        "cpu_median": round(median(self.cpu[measure][label]), 3),
                    }
                    for label, values in servers.items()
                }
                for measure, servers in self.rates.items()
            },
        }


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def _running(servers: Sequence[Server]) -> Any:
    started: list[Server] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
        yield [server.target() for server in servers]
    finally:
        for server in reversed(started):
            server.stop()


# -- SFTP ------------------------------------------------------------------------------------------------


class SftpClient:
    """OpenSSH sftp in batch mode, with no user config, agent or known hosts."""

    def __init__(self, key: Path, workdir: Path) -> None:
        self.binary = program("sftp")
        self.key = key
        self.batch = workdir / "sftp-batch"

    def run(self, target: Target, commands: str, cipher: str) -> tuple[float, float]:
        """Seconds the whole ``sftp`` process took (connect, log in, run ``commands``, quit), and the
        server's CPU seconds meanwhile."""
        self.batch.write_text(commands + "\n")
        command = [self.binary, "-b", str(self.batch), "-P", str(target.port), "-F", "/dev/null"]
        for option in ("StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "LogLevel=ERROR"):
            command += ["-o", option]
        for option in ("IdentityAgent=none", "IdentitiesOnly=yes", "Compression=no"):
            command += ["-o", option]
        command += ["-c", cipher, "-i", str(self.key), f"{target.user}@127.0.0.1"]
        cpu = server_cpu(target.pid)
        began = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        elapsed = time.perf_counter() - began
        if result.returncode != 0:
            raise BenchError(
                f"sftp to {target.label} failed: {result.stderr.strip() or result.stdout.strip()}"
            )
        return elapsed, server_cpu(target.pid) - cpu

    def login(self, target: Target, cipher: str, tries: int = 3) -> tuple[float, float]:
        """The least of a few sessions that transfer nothing: what a transfer's figures include besides it."""
        runs = [self.run(target, "pwd", cipher) for _ in range(tries)]
        return min(took for took, _ in runs), min(cpu for _, cpu in runs)


def measure_sftp(options: Options, servers: Sequence[Server], credentials: Credentials) -> Transfers:
    source = write_source(options.workdir / "source.bin", options.size)
    client = SftpClient(credentials.client_key, options.workdir)
    results = Transfers("sftp", options.size)
    with _running(servers) as targets:
        for target in targets:
            _copy(source, target.files / target.download / "BENCH.bin")
        for number in range(options.rounds):
            order = _in_turn(targets, number)
            for cipher in options.ciphers:
                short = cipher.split("@")[0].removesuffix("-poly1305")
                logins = {target.label: client.login(target, cipher) for target in order}
                for target in order:
                    remote = f"{target.upload}/BENCH.{number}.bin"
                    took, cpu = client.run(target, f"put {source} {remote}", cipher)
                    login, login_cpu = logins[target.label]
                    results.add(f"upload {short}", target.label, took - login, cpu - login_cpu)
                    target.settle(remote)
                    _check_size(target, (target.files / remote).stat().st_size, options.size)
                    _remove(target.files / remote)
                for target in order:
                    took, cpu = client.run(target, f"get {target.download}/BENCH.bin /dev/null", cipher)
                    login, login_cpu = logins[target.label]
                    results.add(f"download {short}", target.label, took - login, cpu - login_cpu)
    return results


def _in_turn(targets: list[Target], number: int) -> list[Target]:
    """Round ``number`` starts with the next server: none always goes first, on a cold or a warm machine."""
    shift = number % len(targets)
    return targets[shift:] + targets[:shift]


def _copy(source: Path, target: Path) -> None:
    """A real copy (not a link), so each server reads a file of its own."""
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(chunk)


# -- FTPS ------------------------------------------------------------------------------------------------


class CurlClient:
    """curl as MAGDA's page uses it (explicit TLS, client certificate), TLS 1.3 with one suite forced; for an
    implicit TLS port, ``ftps://`` instead of ``ftp://`` and ``--ssl-reqd``, as our cheat-sheet pastes it."""

    def __init__(self, credentials: Credentials) -> None:
        self.binary = program("curl")
        self.credentials = credentials

    def run(self, target: Target, url_path: str, *arguments: str) -> tuple[float, float, int]:
        """Seconds of the transfer itself (curl's total minus its time before the transfer), the server's
        CPU seconds for the whole session, and the bytes moved."""
        c = self.credentials
        scheme, required = ("ftps", []) if target.implicit else ("ftp", ["--ssl-reqd"])
        command = [self.binary, "-sS", *required, "-u", f"{target.user}:{target.password}"]
        command += ["--cacert", str(c.server_ca), "--cert", str(c.client_certificate)]
        command += ["--key", str(c.client_certificate_key), "--tlsv1.3", "--tls13-ciphers", FTPS_CIPHER]
        command += ["-w", _CURL_TIMES, *arguments, f"{scheme}://127.0.0.1:{target.port}/{url_path}"]
        cpu = server_cpu(target.pid)
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0:
            raise BenchError(
                f"curl to {target.label} ({_tls_mode(target)} TLS) failed: {result.stderr.strip()}"
            )
        pretransfer, total, uploaded, downloaded = result.stdout.split()[-4:]
        moved = int(uploaded) + int(downloaded)
        return float(total) - float(pretransfer), server_cpu(target.pid) - cpu, moved


def _tls_mode(target: Target) -> str:
    return "implicit" if target.implicit else "explicit"


def measure_ftps(options: Options, servers: Sequence[Server], credentials: Credentials) -> Transfers:
    """Uploads, then downloads, per round; a measure per direction and TLS mode ("upload explicit"), each
    server's figures under its label: mockpartners and vsftpd appear under both modes when both run."""
    source = write_source(options.workdir / "source.bin", options.size)
    client = CurlClient(credentials)
    results = Transfers("ftps", options.size)
    with _running(servers) as targets:
        for target in targets:
            _copy(source, target.files / target.download / "BENCH.bin")
        for number in range(options.rounds):
            order = _in_turn(targets, number)
            for target in order:
                remote = f"{target.upload}/BENCH.{number}.xml.tmp"
                took, cpu, moved = client.run(target, remote, "-T", str(source))
                _check_size(target, moved, options.size)
                results.add(f"upload {_tls_mode(target)}", target.label, took, cpu)
                target.settle(remote)
                _remove(target.files / remote)
            for target in order:
                took, cpu, moved = client.run(target, f"{target.download}/BENCH.bin", "-o", "/dev/null")
                _check_size(target, moved, options.size)
                results.add(f"download {_tls_mode(target)}", target.label, took, cpu)
    return results


def _check_size(target: Target, moved: int, size: int) -> None:
    if moved != size:
        raise BenchError(f"curl moved {moved} bytes to or from {target.label}, not {size}")
