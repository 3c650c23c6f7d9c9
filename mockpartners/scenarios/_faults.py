"""The generic faults, asked by protocol adapters at the points where they bite: replies, data, writes.

One :class:`SessionFaults` per client connection keeps the byte count that "disconnect after N bytes"
and "restart mid-transfer" look at. Every fault that fires is journalled (``scenario.fault``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ._state import Scenarios
from .names import (
    BANDWIDTH,
    DISCONNECT_AFTER_BYTES,
    DISK_FULL,
    FAIL_NTH_WRITE,
    FAIL_WRITES,
    LATENCY,
    RESTART_MID_TRANSFER,
)

__all__ = ["SessionFaults"]

Cut = Literal["disconnect", "restart"]
WriteFailure = Literal["disk-full", "failure"]


class SessionFaults:
    """``record`` journals an event in the session's name (kind, then its detail)."""

    def __init__(self, scenarios: Scenarios, record: Callable[..., Any]) -> None:
        self.scenarios = scenarios
        self.record = record
        self.moved = 0

    def reply_delay(self) -> float:
        """Seconds to wait before answering a request (scenario ``latency``)."""
        latency = self.scenarios.active(LATENCY)
        return float(latency["ms"]) / 1000 if latency else 0.0

    def transfer_delay(self, size: int) -> float:
        """Seconds that moving ``size`` bytes should take (scenario ``bandwidth``)."""
        bandwidth = self.scenarios.active(BANDWIDTH)
        return size / max(1, int(bandwidth["bytes_per_second"])) if bandwidth else 0.0

    def moved_bytes(self, size: int) -> Cut | None:
        """Count transferred bytes; say when the connection must be cut or the server restarted."""
        before, self.moved = self.moved, self.moved + size
        for name, action in ((DISCONNECT_AFTER_BYTES, "disconnect"), (RESTART_MID_TRANSFER, "restart")):
            parameters = self.scenarios.active(name)
            if parameters and before < int(parameters["bytes"]) <= self.moved:
                self.fired(name, f"{action} after {self.moved} bytes")
                if name == RESTART_MID_TRANSFER:
                    self.scenarios.off(name)  # one restart per activation
                return action  # type: ignore[return-value]
        return None

    def write_failure(self) -> WriteFailure | None:
        """Whether this write fails, and how (``disk-full``, ``fail-nth-write``, ``fail-writes``)."""
        if self.scenarios.active(DISK_FULL) is not None:
            self.fired(DISK_FULL, "no space left on device")
            return DISK_FULL
        nth = self.scenarios.active(FAIL_NTH_WRITE)
        if nth is not None and self.scenarios.count(FAIL_NTH_WRITE) == int(nth["n"]):
            self.fired(FAIL_NTH_WRITE, f"write number {nth['n']} failed")
            return "failure"
        random = self.scenarios.active(FAIL_WRITES)
        if random is not None and self.scenarios.chance(FAIL_WRITES, float(random["probability"])):
            self.fired(FAIL_WRITES, "a random write failed")
            return "failure"
        return None

    def fired(self, scenario: str, what: str) -> None:
        self.record("scenario.fault", outcome="failed", scenario=scenario, fault=what)
