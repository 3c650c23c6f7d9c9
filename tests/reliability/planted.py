"""What a hostile client must never reach, planted around one account's home, and how to tell it leaked.

Beside the home (in the partner's ``homes`` folder) sits a canary folder holding a secret file; the other
account's home holds a private file; symlinks planted in the home point at both, at /etc, and out through
relative and dangling targets. Every planted thing has content, a size and a modification time that nothing
else has, so a leak shows in whatever a client gets back: bytes, names, sizes or times.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mockpartners import Partner
from tests.reliability.sessions import inbox_and_answers

MARK = 4_102_444_807  # 2100-01-01T00:00:07Z: the modification time of every planted thing
SECRET_SIZE = 7919
PRIVATE_SIZE = 6373
ETC_NAMES = frozenset({"passwd", "group", "hosts"})  # all three in one listing: /etc leaked
ETC_CONTENT = b"root:x:0:0"
JOURNAL_FILES = ("journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm")


@dataclass
class Seen:
    """What one operation gave back to the client."""

    data: list[bytes] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    mtimes: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Planted:
    home: Path
    canary: Path
    other_home: Path
    forbidden_data: tuple[bytes, ...]
    forbidden_names: tuple[str, ...]
    links: tuple[str, ...]
    aims: tuple[str, ...]
    private: str  # the other account's private file, relative to its home
    state: Path
    spool: Path

    @classmethod
    def around(cls, partner: Partner, username: str, other: str) -> Planted:
        """Plant the canary, the other account's private files and the symlinks (``links``: home-relative);
        ``aims`` are the paths a hostile client would try, through the links and ``..``, to reach them."""
        home, other_home = Path(partner.account(username).home), Path(partner.account(other).home)
        token = secrets.token_hex(8)
        canary = home.parent / f"canary-{token}"
        secret = _plant_file(canary / f"canary-secret-{token}.txt", SECRET_SIZE, f"SECRET-{token}")
        hidden = (
            canary / f"canary-folder-{token}"
        )  # never named to a client: listed, it shows a listing leaked
        hidden.mkdir()
        inbox, answers = inbox_and_answers(partner)
        private = _plant_file(other_home / answers / f"PRIVATE-{token}.xml", PRIVATE_SIZE, f"PRIVATE-{token}")
        unlisted = _plant_file(
            other_home / answers / f"UNLISTED-{token}.xml", PRIVATE_SIZE, f"PRIVATE-{token}"
        )
        targets = {
            f"{inbox}/escape": canary,
            f"{inbox}/dangling": canary / "created-through-a-link",
            f"{inbox}/rel": Path("../../" + canary.name),
            f"{answers}/etc": Path("/etc"),
            f"{answers}/secret": secret,
            f"{answers}/other": other_home,
            "up": Path(".."),
            "\u00e9sc": canary,  # NFC; its NFD spelling is another name
        }
        for link, target in targets.items():
            (home / link).symlink_to(target)
        for path in (secret, hidden, canary, private, unlisted, private.parent):
            os.utime(path, (MARK, MARK), follow_symlinks=False)
        theirs = f"{other_home.name}/{answers}"
        aims = [
            *targets,
            *(
                f"{link}/{secret.name}"
                for link in (f"{inbox}/escape", f"{inbox}/rel", "\u00e9sc", f"up/{canary.name}")
            ),
            f"{answers}/etc/passwd",
            f"{answers}/other/{answers}",
            f"{answers}/other/{answers}/{private.name}",
            f"up/{theirs}/{private.name}",
            f"../{canary.name}",
            f"../{canary.name}/{secret.name}",
            f"../{theirs}",
            f"../{theirs}/{private.name}",
            "../../../../../../etc/passwd",
            str(secret),
            str(private),
        ]
        return cls(
            home=home,
            canary=canary,
            other_home=other_home,
            forbidden_data=(secret.read_bytes(), private.read_bytes(), ETC_CONTENT),
            forbidden_names=(hidden.name, unlisted.name),
            links=tuple(targets),
            aims=tuple(aims),
            private=f"{answers}/{private.name}",
            state=partner.state.path,
            spool=partner.state.spool(partner.name),
        )

    def leaks(self, seen: Seen) -> list[str]:
        """What of the planted things a client got back (nothing, one hopes)."""
        found = [
            f"data {secret[:24]!r}" for secret in self.forbidden_data for data in seen.data if secret in data
        ]
        found += [f"name {name}" for name in seen.names for secret in self.forbidden_names if secret in name]
        if set(seen.names) >= ETC_NAMES:
            found.append("a listing of /etc")
        found += [f"size {size}" for size in seen.sizes if size in (SECRET_SIZE, PRIVATE_SIZE)]
        found += [f"time {mtime}" for mtime in seen.mtimes if int(mtime) == MARK]
        return found

    def outside(self) -> dict[str, tuple[object, ...]]:
        """Everything around the home (contents of small files), /etc's and the root's names."""
        around = tree(
            self.state.parent, skip=(self.home, self.spool, *(self.state / n for n in JOURNAL_FILES))
        )
        around["/etc"] = tuple(sorted(os.listdir("/etc")))
        around["/"] = tuple(sorted(os.listdir("/")))
        return around


def _plant_file(path: Path, size: int, token: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((token.encode() * (size // len(token) + 1))[:size])
    return path


def tree(top: Path, skip: Iterable[Path] = ()) -> dict[str, tuple[object, ...]]:
    """Every entry below ``top`` (but ``skip``): links' targets, folders' times, files' contents."""
    skipped = {str(path) for path in skip}
    entries: dict[str, tuple[object, ...]] = {}
    for folder, names, files in os.walk(top):
        names[:] = [name for name in names if os.path.join(folder, name) not in skipped]
        for name in [*names, *files]:
            path = os.path.join(folder, name)
            if path in skipped:
                continue
            info = os.lstat(path)
            if os.path.islink(path):
                entries[path] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                entries[path] = ("folder", info.st_mtime_ns)
            else:
                entries[path] = ("file", info.st_size, info.st_mtime_ns, _head(path, info.st_size))
    return entries


def _head(path: str, size: int) -> bytes:
    """Small files are compared whole; big ones by size and time only."""
    if size > 65536:
        return b""
    with open(path, "rb") as handle:
        return handle.read()
