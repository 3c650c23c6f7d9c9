"""How much of the process one client of the admin API may hold, and for how long.

Two times 10,000 half-sent requests, never timed out, once used up every file descriptor of the process
and took every partner down with the API. The API now gives a request a few seconds to arrive and counts
connections per client address and in all, like the partners' listeners (profile ``limits``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AdminLimits"]


@dataclass(frozen=True)
class AdminLimits:
    """The admin listener's limits; the defaults suit every CI job and container seen so far."""

    header_timeout: float = 10.0
    """Seconds a client has to send a request's headers (from connecting, or from the previous answer on
    a kept-alive connection); also the longest a request body may pause. Then the connection is closed."""
    connections_per_address: int = 64
    """Connections open at once from one client address: beyond it, new ones get a 503 and are closed.
    A container's clients on the host all arrive from one bridge address, hence not fewer."""
    connections: int = 256
    """Connections open at once in all."""
    streams_per_address: int = 8
    """Journal streams (``GET /v1/journal/stream``) open at once from one client address: each holds a
    waiting thread, so a page left open in many tabs cannot take them all. Beyond it, a 503."""
    streams: int = 32
    """Journal streams open at once in all (the long polls keep the rest of the 64 waiting threads)."""
    heartbeat: float = 15.0
    """Seconds of a quiet journal stream before a comment line shows it is alive."""

    def __post_init__(self) -> None:
        counts = (self.connections_per_address, self.connections, self.streams_per_address, self.streams)
        if not self.header_timeout > 0 or not self.heartbeat > 0 or min(counts) < 1:
            raise ValueError(f"admin limits must be positive: {self}")
