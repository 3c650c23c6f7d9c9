"""Time from start to ready, credentials already in the state directory (as for every start but the first).

In-process: ``Suite(...).start()`` in this (already warm) Python process, until it returns, which it does
once every endpoint listens; what the pytest factory pays per suite (the shared partner fixtures pay a
reset per test: ``_fixtures.py``). CLI: from spawning ``mockpartners up`` until endpoints.json says it
runs and every endpoint answers with its greeting; Python's own start and imports included. The
references: sshd and vsftpd from spawn to their greeting.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockpartners import Suite

from ._common import Options, median
from ._references import Sshd, Vsftpd
from ._servers import Credentials, Ours

__all__ = ["PARTNERS", "measure_startup"]

PARTNERS = ("onss", "magda")
"""What ``make up`` serves: one SFTP and one FTPS partner."""


def _in_process(state_dir: Path) -> float:
    suite = Suite(PARTNERS, state_dir=state_dir, ports="ephemeral")
    began = time.perf_counter()
    try:
        suite.start()
        took = time.perf_counter() - began
        for partner in suite.partners.values():
            for endpoint in partner.info().endpoints.values():
                socket.create_connection((endpoint.host, endpoint.port), timeout=5).close()
    finally:
        suite.stop()
    return took


def _cli(state_dir: Path, admin: bool) -> float:
    server = Ours(state_dir, PARTNERS, admin=admin)
    try:
        return server.start()
    finally:
        server.stop()


def _reference(make: Callable[[], Sshd | Vsftpd]) -> float:
    server = make()
    try:
        return server.start()
    finally:
        server.stop()


def measure_startup(options: Options, state_dir: Path, credentials: Credentials) -> dict[str, Any]:
    measures: dict[str, Callable[[], float]] = {
        "in-process": lambda: _in_process(state_dir),
        "cli": lambda: _cli(state_dir, admin=False),
        "cli with admin API": lambda: _cli(state_dir, admin=True),
        "sshd": lambda: _reference(lambda: Sshd(options.workdir, credentials)),
        "vsftpd": lambda: _reference(lambda: Vsftpd(options.workdir, credentials)),
    }
    _in_process(state_dir)  # the first start generates what is missing; the measured ones find it all
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(options.startups):  # alternating, like every other measure
        for name, measure in measures.items():
            times[name].append(measure())
    return {
        "partners": list(PARTNERS),
        "unit": "s",
        "measures": {
            name: {
                "runs": [round(value, 4) for value in values],
                "best": round(min(values), 4),
                "median": round(median(values), 4),
            }
            for name, values in times.items()
        },
    }
