"""Which host key an SFTP server must present: the one given (``host_key``), or the one pinned in a
known_hosts file the first time Lucca's client met the server (trust on first use, as OpenSSH's
``StrictHostKeyChecking accept-new``), so that a later change is refused as "host key changed".

The key is checked during the key exchange, before any password or key is sent: an impostor never sees
the login.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncssh

from ..infra.atomic import open_regular, write_atomically
from ..model._customer_server import CustomerServer
from ..model.errors import StateError, UsageError
from ._errors import HOST_KEY_CHANGED, OutboundError

__all__ = ["HostKeyCheck"]


@dataclass
class HostKeyCheck:
    """The keys the server may present, where they come from, and the key it did present."""

    server: CustomerServer
    known_hosts: Path
    pinned: list[asyncssh.SSHKey]
    source: str
    """``host_key`` (given with the server), ``known_hosts`` (pinned before), ``first use`` (none yet)."""
    presented: asyncssh.SSHKey | None = None

    @classmethod
    def prepare(cls, server: CustomerServer, known_hosts: Path) -> HostKeyCheck:
        if server.host_key is not None:
            try:
                key = asyncssh.import_public_key(server.host_key)
            except (asyncssh.KeyImportError, ValueError) as error:
                raise UsageError(f"host_key: not a usable OpenSSH public key ({error})") from None
            return cls(server, known_hosts, [key], "host_key")
        pinned = _known_keys(known_hosts, server)
        return cls(server, known_hosts, pinned, "known_hosts" if pinned else "first use")

    @property
    def trusted(self) -> tuple[list[asyncssh.SSHKey], list[asyncssh.SSHKey], list[asyncssh.SSHKey]]:
        """asyncssh's ``known_hosts`` argument: the pinned keys, no CA, nothing revoked. asyncssh then
        offers the server only the pinned keys' algorithms, so a server with several keys presents the one
        pinned."""
        return (list(self.pinned), [], [])

    def accept(self, key: asyncssh.SSHKey) -> bool:
        """asyncssh's question for a key that is not pinned: yes on first use only."""
        self.presented = key
        return not self.pinned

    def remember(self, key: asyncssh.SSHKey) -> str:
        """After a successful key exchange: pin the key on first use; how the key was trusted."""
        if self.source == "first use":
            _pin(self.known_hosts, self.server, key)
            return f"first use: pinned in {self.known_hosts}"
        return self.source

    def changed(self) -> OutboundError:
        """The key presented is not the one pinned."""
        was = ", ".join(fingerprint(key) for key in self.pinned)
        now = fingerprint(self.presented) if self.presented is not None else "a key of another type"
        return OutboundError(
            HOST_KEY_CHANGED,
            f"the host key of the SFTP server {self.server.address} changed: it was {was}, it is now {now}. "
            f"{self._way_out()} Otherwise another machine may be answering in its place: do not go on.",
        )

    def no_common_algorithm(self, reply: object) -> OutboundError:
        """The server offers none of the pinned keys' algorithms: it has other keys now."""
        algorithms = ", ".join(sorted({key.get_algorithm() for key in self.pinned}))
        return OutboundError(
            HOST_KEY_CHANGED,
            f"the SFTP server {self.server.address} no longer presents a host key of type {algorithms} "
            f"(pinned: {', '.join(fingerprint(key) for key in self.pinned)}; {reply}). {self._way_out()}",
        )

    def _way_out(self) -> str:
        if self.source == "host_key":
            return "If you changed it on purpose, give Lucca the new public key (host_key)."
        return (
            f"If you changed it on purpose (a new server, a reinstall), remove the line of "
            f"{_pattern(self.server)} from {self.known_hosts} (ssh-keygen -R '{_pattern(self.server)}' -f "
            f"{self.known_hosts}), and the next connection pins the new key."
        )


def fingerprint(key: asyncssh.SSHKey) -> str:
    return str(key.get_fingerprint("sha256"))


def _pattern(server: CustomerServer) -> str:
    """The host as known_hosts names it: ``host`` on port 22, ``[host]:port`` otherwise (as OpenSSH)."""
    return server.host if server.port == 22 else f"[{server.host}]:{server.port}"


def _known_keys(known_hosts: Path, server: CustomerServer) -> list[asyncssh.SSHKey]:
    if not known_hosts.exists():
        return []
    try:
        with open_regular(known_hosts) as handle:
            text = handle.read()
        port = None if server.port == 22 else server.port
        matched = asyncssh.match_known_hosts(text, server.host, server.host, port)[0]
    except (OSError, ValueError, asyncssh.KeyImportError) as error:
        raise StateError(
            f"{known_hosts}: not a usable known_hosts file ({error}); restore it, or move it away (every "
            "server's key is then pinned again at its next connection)"
        ) from None
    unique = {key.public_data: key for key in matched}  # a line matches by name and by address alike
    return list(unique.values())


def _pin(known_hosts: Path, server: CustomerServer, key: asyncssh.SSHKey) -> None:
    """Add ``[host]:port ALGORITHM KEY`` to the file (made private if new), as OpenSSH writes it."""
    existing = known_hosts.read_bytes() if known_hosts.exists() else b""
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    algorithm, blob = key.export_public_key("openssh").decode().split()[:2]
    line = f"{_pattern(server)} {algorithm} {blob}\n".encode()
    known_hosts.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomically(known_hosts, existing + line, mode=0o600)
