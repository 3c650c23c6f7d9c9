"""What one client may take of a running partner: connections, disk space, file descriptors.

A double runs for hours on laptops and shared CI runners; nothing a client sends may exhaust them. Each
listener counts its connections per client address and in all (:class:`ConnectionLimits`), each partner
counts what its accounts store (:class:`StorageLimits`), and the process raises its own descriptor limit
at start and reports running out of descriptors once, not at every refused accept (:class:`OnceLog`).
The numbers come from the profile's ``limits`` section.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..model._access import Limits
from ..model.errors import MockPartnersError

__all__ = [
    "RESOURCE_ERRORS",
    "ConnectionLimits",
    "OnceLog",
    "StorageLimits",
    "StorageRefused",
    "Usage",
    "out_of_resources",
    "raise_descriptor_limit",
]

log = logging.getLogger("mockpartners.infra.limits")

RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""OSError numbers that mean the process or the system ran out of something, not that a client erred."""

_USAGE_TTL = 1.0
"""Seconds a home's measured usage is trusted before it is walked again (writes in between are added)."""
_DISK_TTL = 0.5
"""Seconds the disk's measured free space is trusted (writes granted in between are taken off it)..."""
_DISK_GRANTS = 16 * 2**20
"""... and bytes granted before it is measured again."""
_DISK_MARGIN = 64 * 2**20
"""Room beyond the reserve under which every write measures the disk: near the reserve, refusals are exact."""


class ConnectionLimits:
    """Connections open at once on one listener, per client address and in all; thread-safe."""

    def __init__(self, per_address: int, total: int) -> None:
        self.per_address = per_address
        self.total = total
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def admit(self, address: str) -> str | None:
        """Count a new connection from ``address``; or, when a limit is reached, say why it is refused
        (and count nothing)."""
        with self._lock:
            if self._open[address] >= self.per_address:
                return (
                    f"too many connections from {address} ({self.per_address} at once, "
                    "profile setting limits.connections_per_address)"
                )
            if sum(self._open.values()) >= self.total:
                return f"too many connections ({self.total} at once, profile setting limits.connections)"
            self._open[address] += 1
            return None

    def release(self, address: str) -> None:
        """A connection that :meth:`admit` counted has closed."""
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    def count(self, address: str | None = None) -> int:
        with self._lock:
            return self._open[address] if address is not None else sum(self._open.values())


class StorageRefused(MockPartnersError):
    """A write that would exceed the account's quota, or eat into the disk's reserve."""

    def __init__(self, reason: str, kind: Literal["quota", "files", "disk"]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class Usage:
    bytes: int
    files: int


class StorageLimits:
    """A partner's disk as its accounts use it: a quota per account, and a reserve the disk always keeps.

    Usage is measured by walking the account's home (at most once a second) and, in between, by adding
    what writes announce, so a burst of writes cannot race past the quota between two walks; a write that
    would not fit is measured again before it is refused, so room freed by a deletion counts at once.
    """

    def __init__(self, limits: Limits, state_path: Path, home_of: Callable[[str], Path]) -> None:
        self.limits = limits
        self.state_path = state_path
        self._home_of = home_of
        self._usage: dict[str, tuple[float, int, int]] = {}  # walked at (monotonic), bytes, files
        self._lock = threading.Lock()
        self._disk = (-_DISK_TTL - 1.0, 0, 0, 0)  # measured at (monotonic), free, kept, granted since
        self._disk_lock = threading.Lock()

    def reserve(self, username: str, growth: int, new_files: int = 0) -> None:
        """Let a client write ``growth`` more bytes (and create ``new_files`` entries) in its home, or raise
        :class:`StorageRefused`."""
        if growth <= 0 and new_files <= 0:
            return
        self.reserve_disk(growth)
        with self._lock:
            used = self._current(username)
            if not self._fits(used, growth, new_files):
                used = self._current(username, fresh=True)  # a deletion since the last walk frees room
            if used.files + new_files > self.limits.files_per_account:
                raise StorageRefused(
                    f"the account holds {used.files} files and folders, the most it may "
                    f"(profile setting limits.files_per_account)",
                    "files",
                )
            if used.bytes + growth > self.limits.storage_per_account:
                raise StorageRefused(
                    f"the account's quota of {self.limits.storage_per_account.human_readable()} is used "
                    f"({used.bytes} bytes stored; profile setting limits.storage_per_account)",
                    "quota",
                )
            walked_at, stored, files = self._usage[username]
            self._usage[username] = (walked_at, stored + max(growth, 0), files + max(new_files, 0))

    def reserve_disk(self, growth: int) -> None:
        """Refuse a write that would leave less than the reserve free on the state directory's disk.

        The disk is measured (``statvfs``) at most every half second or 16 MiB granted while it has room to
        spare, every write once it comes within 64 MiB of the reserve, and again before any refusal: asking
        for every 64 KiB chunk of a large upload was a tenth of the server's time."""
        if growth <= 0:
            return
        with self._disk_lock:
            measured_at, free, kept, granted = self._disk
            stale = time.monotonic() - measured_at > _DISK_TTL or granted + growth > _DISK_GRANTS
            if stale or free - granted - growth < kept + _DISK_MARGIN:
                measured = self._measure_disk()
                if measured is None:
                    return
                free, kept = measured
                measured_at, granted = time.monotonic(), 0
                if free - growth < kept:
                    raise StorageRefused(
                        f"no space left: the partner keeps {kept} bytes free on its disk and {free} are free "
                        "(profile setting limits.disk_reserve)",
                        "disk",
                    )
            self._disk = (measured_at, free, kept, granted + growth)

    def _measure_disk(self) -> tuple[int, int] | None:
        """Bytes free on the state directory's disk, and the bytes the partner keeps free (None: unknown)."""
        try:
            status = os.statvfs(self.state_path)
        except OSError:
            return None
        reserve = self.limits.disk_reserve
        kept = int(reserve) if reserve is not None else min(2**30, status.f_blocks * status.f_frsize // 10)
        return status.f_bavail * status.f_frsize, kept

    def forget(self) -> None:
        """Homes changed behind the writes' back (a reset): measure them again."""
        with self._lock:
            self._usage.clear()

    def _fits(self, used: Usage, growth: int, new_files: int) -> bool:
        limits = self.limits
        return (
            used.files + new_files <= limits.files_per_account
            and used.bytes + growth <= limits.storage_per_account
        )

    def _current(self, username: str, *, fresh: bool = False) -> Usage:
        walked_at, stored, files = self._usage.get(username, (0.0, 0, 0))
        now = time.monotonic()
        if fresh or now - walked_at > _USAGE_TTL:
            stored, files = _measure(self._home_of(username))
            self._usage[username] = (now, stored, files)
        return Usage(stored, files)


def _measure(root: Path) -> tuple[int, int]:
    """Bytes in regular files and the number of entries under ``root``; links are counted, not followed."""
    stored = files = 0
    pending = [str(root)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            files += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    stored += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return stored, files


class OnceLog:
    """Report a recurring failure once per minute at most, with how many times it happened meanwhile.

    Out of descriptors, every accept fails at once and again at the next turn of the loop: one warning per
    refused connection filled 140 MB of log in 40 s.
    """

    def __init__(self, logger: logging.Logger, interval: float = 60.0) -> None:
        self.logger = logger
        self.interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.listeners: list[Callable[[str, str], None]] = []

    def report(self, key: str, message: str) -> bool:
        """Log ``message`` unless ``key`` was reported within the interval; True when it was logged."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -self.interval) < self.interval:
                self._suppressed[key] += 1
                return False
            self._last[key] = now
            suppressed = self._suppressed.pop(key, 0)
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        self.logger.warning("%s%s", message, more)
        for listener in list(self.listeners):
            listener(key, message)
        return True


def out_of_resources(error: OSError) -> str:
    """What to tell the user when accepting a connection failed for want of descriptors or memory."""
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return (
        f"out of file descriptors or memory ({error.strerror}): new connections wait until others close "
        f"(this process may open {limit} files; raise it with ulimit -n)"
    )


def raise_descriptor_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit; the limit now in force.

    Every client connection, open file and journal reader holds a descriptor: the common soft limit of
    1024 would otherwise be what ends a long run, while the hard limit is usually far higher.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft
    return target
