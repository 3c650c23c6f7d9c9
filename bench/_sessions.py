"""Many clients at once: each connects, logs in with its key, uploads a small file to IN and leaves.

All sessions start together from one asyncio client (asyncssh), first against mockpartners' ONSS, then
against sshd, alternating the order each round. Uploads go to ``IN/`` under names ONSS accepts, so the
partner also picks up and answers each one while the others are still logging in: the load a real burst
brings. Memory is the server's: mockpartners' peak resident size (VmHWM of the ``mockpartners up``
process), and for sshd, which forks per connection, the peak of the summed proportional set size (PSS)
of its process tree, sampled every 50 ms.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from ._common import Options, median, percentile, process_tree
from ._references import Sshd
from ._servers import Credentials, Ours, Target

__all__ = ["SessionRun", "measure_sessions"]

_PAYLOAD = b"<bench>" + b"x" * 1000 + b"</bench>\n"  # about 1 KB


@dataclass
class SessionRun:
    """One burst against one server."""

    label: str
    sessions: int
    ok: int = 0
    logins: list[float] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    wall: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    uploaded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "ok": self.ok,
            "failed": self.sessions - self.ok,
            "login_p50_ms": round(median(self.logins) * 1000, 1),
            "login_p99_ms": round(percentile(self.logins, 0.99) * 1000, 1),
            "session_p99_ms": round(percentile(self.totals, 0.99) * 1000, 1),
            "total_s": round(self.wall, 3),
            "errors": self.errors,
        }


async def _session(target: Target, key: asyncssh.SSHKey, path: str, run: SessionRun) -> None:
    began = time.perf_counter()
    try:
        async with asyncssh.connect(
            "127.0.0.1",
            target.port,
            username=target.user,
            client_keys=[key],
            known_hosts=None,
            agent_path=None,
            encryption_algs=["aes128-gcm@openssh.com"],
            login_timeout=120,
        ) as connection:
            run.logins.append(time.perf_counter() - began)
            async with connection.start_sftp_client() as sftp, sftp.open(path, "wb") as file:
                await file.write(_PAYLOAD)
        run.ok += 1
        run.uploaded.append(path)
        run.totals.append(time.perf_counter() - began)
    except (TimeoutError, OSError, asyncssh.Error) as error:
        reason = f"{type(error).__name__}: {error}"[:120]
        run.errors[reason] = run.errors.get(reason, 0) + 1


async def _burst(target: Target, key: asyncssh.SSHKey, count: int, tag: str) -> SessionRun:
    run = SessionRun(target.label, count)
    began = time.perf_counter()
    paths = [f"{target.upload}/BENCH.{tag}.{number:04d}.xml" for number in range(count)]
    await asyncio.gather(*(_session(target, key, path, run) for path in paths))
    run.wall = time.perf_counter() - began
    return run


class MemorySampler:
    """The peak of the summed PSS (or RSS where PSS is unreadable) of a process and its descendants."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_memory(pid) for pid in process_tree(self.pid)))
            self._stop.wait(self.interval)


def _memory(pid: int) -> int:
    """Bytes of proportional set size (shared pages split between the processes sharing them)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def peak_resident(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had, in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def measure_sessions(options: Options, state_dir: Path, credentials: Credentials) -> dict[str, Any]:
    key = asyncssh.read_private_key(credentials.client_key)
    # every bench session comes from 127.0.0.1: lift the per-address limit (50) above the sessions opened,
    # as sshd's MaxStartups is lifted in its own configuration, so both serve the same load
    limits = [f"onss.limits.connections_per_address={options.sessions + 10}"]
    ours = Ours(state_dir, "onss", limits)
    sshd = Sshd(options.workdir, credentials)
    runs: dict[str, list[SessionRun]] = {"mockpartners": [], "sshd": []}
    peaks = {"mockpartners": 0, "sshd": 0}
    try:
        ours.start()
        sshd.start()
        servers: list[Ours | Sshd] = [ours, sshd]
        for number in range(options.rounds):
            for server in servers[number % 2 :] + servers[: number % 2]:
                target = server.target()
                with MemorySampler(target.pid) as sampler:
                    run = asyncio.run(_burst(target, key, options.sessions, f"S{number}"))
                for path in run.uploaded:  # the partner's answers done before the next burst starts
                    target.settle(path)
                runs[target.label].append(run)
                peaks[target.label] = max(peaks[target.label], sampler.peak)
        hwm = peak_resident(ours.pid)
    finally:
        ours.stop()
        sshd.stop()
    return {
        "sessions": options.sessions,
        "rounds": {label: [run.to_json() for run in found] for label, found in runs.items()},
        "peak_memory_bytes": {"mockpartners": hwm, "sshd": peaks["sshd"]},
        "peak_pss_sampled_bytes": peaks,
    }
