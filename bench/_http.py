"""The XFB gateway's deposits over HTTP, against a bare aiohttp server that takes the same request.

Ours is ``mockpartners up xfb``; the baseline is ``python -m bench._bare http``: aiohttp alone, writing the
body to a file and answering the gateway's page, with no credentials, journal, rights, quota, processor or
mail. Both get the raw request a scheduler builds (TASK Collectivités' guide, D/5: "Création des entêtes
HTTP", then the file): ``POST /depot-xt?user=..&password=..&reference=..&site=..&file=NAME`` with the file
as the body. One large file with curl (``--data-binary``), then many small deposits from a few clients at
once, each on a connection of its own (a scheduler sends one file per request), in rounds that alternate
the two servers; mockpartners' partner-side work (the deposits processor and its mail) is waited for
between measures, so it never overlaps one.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import (
    BenchError,
    Options,
    Process,
    free_port,
    median,
    percentile,
    program,
    server_cpu,
    wait_for_port,
    write_source,
)
from ._servers import Ours
from ._throughput import Transfers

__all__ = ["BARE_HTTP", "Deposits", "measure_http"]

BARE_HTTP = "bare aiohttp"
ACCOUNT = "45000001"
REFERENCE, SITE = "GRCT450", "C175"
"""A pair the account may use (mockpartners/profiles/xfb.yaml): every deposit is a correct transfer."""
CLIENTS = 4
"""Small deposits sent at once (a scheduler serving several budgets)."""
_SMALL = b"<mandat>" + b"x" * 1000 + b"</mandat>\n"  # about 1 KB
_CURL_TIMES = "%{http_code} %{time_pretransfer} %{time_total} %{size_upload}"


@dataclass
class Gateway:
    """A server as the deposit client sees it."""

    label: str
    port: int
    password: str
    deposits: Path
    """Where the server writes the deposits (to remove them between measures)."""
    pid: int
    settle: Callable[[str], None]
    """After each deposit (by its ``depots/NAME`` path): until the partner dealt with it."""

    def path(self, name: str) -> str:
        query = {
            "user": ACCOUNT,
            "password": self.password,
            "reference": REFERENCE,
            "site": SITE,
            "file": name,
        }
        return "/depot-xt?" + urllib.parse.urlencode(query)


class OursGateway:
    """``mockpartners up xfb`` (the profile as shipped), seen as a :class:`Gateway`."""

    label = "mockpartners"

    def __init__(self, state_dir: Path) -> None:
        self.server = Ours(state_dir, "xfb")

    def start(self) -> float:
        return self.server.start()

    def gateway(self) -> Gateway:
        assert self.server.info is not None
        xfb = self.server.info["xfb"]
        account = xfb.account(ACCOUNT)
        port = xfb.endpoint("gateway").port
        folder = Path(account.home) / "depots"
        return Gateway(self.label, port, account.password or "", folder, self.server.pid, self.server.settle)

    def stop(self) -> None:
        self.server.stop()


class BareGateway:
    """``python -m bench._bare http PORT ROOT``."""

    label = BARE_HTTP

    def __init__(self, workdir: Path) -> None:
        self.folder = workdir / "bare-http"
        self.root = self.folder / "depots"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.process: Process | None = None

    def start(self) -> float:
        self.port = free_port()
        command = [sys.executable, "-m", "bench._bare", "http", str(self.port), str(self.root)]
        self.process = Process(command, self.folder / "server.log", name=self.label)
        wait_for_port(self.port, greeting=None, timeout=30, alive=self.process.check_alive)
        return time.perf_counter() - self.process.started

    def gateway(self) -> Gateway:
        pid = self.process.pid if self.process else 0
        return Gateway(self.label, self.port, "bench", self.root, pid, lambda path: None)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


@dataclass
class Deposits:
    """The large deposit (MB/s and server CPU per GiB, per round), and per server one burst of small
    deposits per round: deposits per second, latency p50 and p95 in ms."""

    large: Transfers
    small: dict[str, list[dict[str, Any]]]

    def to_json(self) -> dict[str, Any]:
        return {"large": self.large.to_json(), "small": self.small, "clients": CLIENTS, "bytes": len(_SMALL)}


def _large(gateway: Gateway, source: Path, name: str, size: int) -> tuple[float, float]:
    """curl's raw deposit of ``source``: the seconds of the body and the page (curl's total minus its
    time before the transfer), and the server's CPU seconds for the whole request."""
    command = [program("curl"), "-sS", "-H", "Content-Type: application/octet-stream", "-H", "Expect:"]
    command += ["--data-binary", f"@{source}", "-o", "/dev/null", "-w", _CURL_TIMES]
    command.append(f"http://127.0.0.1:{gateway.port}{gateway.path(name)}")
    cpu = server_cpu(gateway.pid)
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise BenchError(f"curl depositing to {gateway.label} failed: {result.stderr.strip()}")
    status, pretransfer, total, uploaded = result.stdout.split()[-4:]
    if status != "200" or int(uploaded) != size:
        raise BenchError(f"{gateway.label} answered {status} to a deposit of {uploaded} of {size} bytes")
    return float(total) - float(pretransfer), server_cpu(gateway.pid) - cpu


def _small(gateway: Gateway, name: str) -> float:
    """One deposit on a connection of its own: seconds from connecting to the whole page read."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=60)
    try:
        headers = {"Content-Type": "application/octet-stream"}
        connection.request("POST", gateway.path(name), body=_SMALL, headers=headers)
        response = connection.getresponse()
        page = response.read()
    finally:
        connection.close()
    if response.status != 200 or b"File received" not in page:
        raise BenchError(f"{gateway.label} answered {response.status} to a small deposit")
    return time.perf_counter() - began


def _burst(gateway: Gateway, count: int, tag: str) -> dict[str, Any]:
    """``count`` small deposits, ``CLIENTS`` at a time; the partner's work on them done before it returns."""
    names = [f"MANDAT{tag}{number:05d}" for number in range(count)]
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        latencies = list(clients.map(lambda name: _small(gateway, name), names))
    wall = time.perf_counter() - began
    for name in names:
        gateway.settle(f"depots/{name}")
        (gateway.deposits / name).unlink(missing_ok=True)
    return {
        "deposits": count,
        "per_second": round(count / wall, 1),
        "p50_ms": round(median(latencies) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
    }


def measure_http(options: Options, state_dir: Path) -> Deposits:
    source = write_source(options.workdir / "source.bin", options.size)
    large = Transfers("http", options.size)
    small: dict[str, list[dict[str, Any]]] = {OursGateway.label: [], BARE_HTTP: []}
    servers: Sequence[OursGateway | BareGateway] = [OursGateway(state_dir), BareGateway(options.workdir)]
    started: list[OursGateway | BareGateway] = []
    try:
        for server in servers:
            started.append(server)  # stopped even if its start fails half way
            server.start()
        gateways = [server.gateway() for server in servers]
        for number in range(options.rounds):
            order = gateways[number % 2 :] + gateways[: number % 2]
            for gateway in order:
                name = f"BENCH{number}"
                took, cpu = _large(gateway, source, name, options.size)
                large.add("deposit", gateway.label, took, cpu)
                gateway.settle(f"depots/{name}")
                (gateway.deposits / name).unlink(missing_ok=True)
            for gateway in order:
                small[gateway.label].append(_burst(gateway, options.deposits, f"{number}-"))
    finally:
        for server in reversed(started):
            server.stop()
    return Deposits(large, small)
