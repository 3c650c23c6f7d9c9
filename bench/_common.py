"""What every section needs: the run's options, system programs, child processes, ports, statistics."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BenchError",
    "Options",
    "Process",
    "child_environment",
    "free_port",
    "median",
    "paired",
    "percentile",
    "process_tree",
    "program",
    "server_cpu",
    "wait_for_port",
    "write_source",
]

# System programs the bench drives, and the Debian package that brings each one
PACKAGES = {
    "sshd": "openssh-server",
    "vsftpd": "vsftpd",
    "sftp": "openssh-client",
    "curl": "curl",
}
# sshd and vsftpd live in /usr/sbin, which is not on a normal user's PATH on Debian
_SYSTEM_PATHS = ("/usr/sbin", "/sbin", "/usr/local/sbin")


class BenchError(Exception):
    """A problem the user can fix (a missing program, a server that would not start): one line, no trace."""


@dataclass(frozen=True)
class Options:
    """What one run measures, and how big; ``quick`` is the smoke test's tiny version."""

    size: int
    sessions: int
    answers: int
    rounds: int
    startups: int
    ciphers: tuple[str, ...]
    workdir: Path
    quick: bool = False
    deposits: int = 200
    """Small deposits per round on the XFB gateway (section ``http``)."""
    mails: int = 500
    """Mails per round through the outbox (section ``outbox``)."""


def program(name: str) -> str:
    """The absolute path of a system program, or a BenchError naming the Debian package to install."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *_SYSTEM_PATHS])
    found = shutil.which(name, path=search)
    if found is None:
        raise BenchError(f"{name} is not installed: apt-get install {PACKAGES.get(name, name)}")
    return os.path.abspath(found)


class Process:
    """A child in its own process group, stopped with the whole group (servers that fork included)."""

    def __init__(self, command: Sequence[str], log: Path, *, name: str) -> None:
        self.name = name
        self.log = log
        self.started = time.perf_counter()
        with open(log, "ab") as output:
            self.popen = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=child_environment(),
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise BenchError(f"{self.name} exited with status {self.popen.returncode}: {self.tail()}")

    def tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no output)"
        return " | ".join(text[-lines:]) or "(no output)"

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after five seconds; never raises (it runs in ``finally``)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        # forked children (sshd's per-connection processes) may outlive their parent for a moment
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)


def child_environment() -> dict[str, str]:
    """The environment of the servers the bench starts: the caller's, with Python's bytecode cache on.

    Some machines (CI images, sandboxes) set PYTHONDONTWRITEBYTECODE, and then every ``mockpartners up``
    compiles the package again (about 80 ms here); on a developer's machine the cache is written once.
    """
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def process_tree(root: int) -> list[int]:
    """``root`` and its live descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def server_cpu(pid: int, *, settle: float = 3.0) -> float:
    """CPU seconds a server used so far, once the children of finished sessions are reaped.

    sshd and vsftpd fork per session: a child's time joins its parent's (cutime, cstime) when the parent
    reaps it, so this waits (up to ``settle`` seconds) until no child is left.
    """
    deadline = time.perf_counter() + settle
    while len(process_tree(pid)) > 1 and time.perf_counter() < deadline:
        time.sleep(0.005)
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port nothing listens on now (the server that gets it binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, *, greeting: bytes | None, timeout: float = 10, alive: Callable[[], None] | None = None
) -> None:
    """Until a connection to the port gets a greeting starting with ``greeting`` (SSH-, 220); with ``None``
    (implicit TLS: the greeting comes only after a handshake), until the port accepts a connection."""
    deadline = time.perf_counter() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
                if greeting is None or connection.recv(64).startswith(greeting):
                    return
        except OSError:
            pass
        if alive is not None:
            alive()
        if time.perf_counter() > deadline:
            raise BenchError(f"nothing answered on 127.0.0.1:{port} within {timeout:g} s")
        time.sleep(0.002)


@contextlib.contextmanager
def stopping(processes: list[Process]) -> Iterator[list[Process]]:
    """Stop every process started into ``processes``, whatever happens."""
    try:
        yield processes
    finally:
        for process in reversed(processes):
            process.stop()


def write_source(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes, really written (no holes: sparse files read faster)."""
    if path.exists() and path.stat().st_size == size:
        return path
    chunk = 1 << 20
    with open(path, "wb") as output:
        left = size
        while left > 0:
            output.write(os.urandom(min(chunk, left)))
            left -= chunk
    return path


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def paired(mine: Sequence[float], theirs: Sequence[float]) -> float | None:
    """The median of the rounds' ratios, ours over theirs: both ran back to back in each round, so load
    that comes and goes over the run (other jobs on the machine) weighs on each ratio less than on either
    figure."""
    ratios = [a / b for a, b in zip(mine, theirs, strict=False) if b > 0]
    return median(ratios) if ratios else None


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: p99 of 200 values is the 198th smallest (no interpolation)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(round(fraction * len(ordered), 9))))
    return ordered[rank - 1]


def parse_size(text: str) -> int:
    """``256M``, ``4M``, ``1G``, ``512K`` or a number of bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        if cleaned and cleaned[-1] in units:
            return int(float(cleaned[:-1]) * units[cleaned[-1]])
        return int(cleaned)
    except ValueError:
        raise BenchError(f"--size {text}: expected a size like 256M, 1G or 4096") from None
