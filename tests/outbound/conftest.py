"""Customer servers for Lucca's outbound client: OpenSSH's sshd and vsftpd started here on loopback (with
bench/'s configs), mockpartners' own doubles, and a journal that records the client's steps.

sshd runs as root (key logins; root's password is locked, so every password is refused) with internal-sftp
forced and started in a folder of the test; vsftpd runs as the launching user and serves anonymous logins
only (any other login is refused). Neither chroots, so the tests give them absolute paths inside tmp: nothing
outside it is touched.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from bench._common import Process, free_port
from bench._daemons import SshdConfig, VsftpdConfig, start_sshd, start_vsftpd
from mockpartners import Event, Journal, Query
from mockpartners.infra.certificates import CertificateAuthority, IssuedCertificate, expired_window
from mockpartners.model._customer_server import CustomerServer
from mockpartners.outbound import OutboundError, Remote, connect
from tests.clients import require

HUB = Path(__file__).parents[1] / "profiles" / "hub.yaml"
FAST = "3s"
"""The timeout of the customer servers here: every answer on loopback comes in milliseconds."""


class Recorded:
    """The outbound client's journal, as the partner's will be: what it recorded, by kind."""

    def __init__(self, path: Path) -> None:
        self.journal = Journal(path)

    def events(self, kind: str = "outbound.*") -> list[Event]:
        return self.journal.events(Query(kind=kind))

    def kinds(self) -> list[tuple[str, str]]:
        return [(event.kind, event.outcome) for event in self.events()]

    def failure(self, after: int = 0) -> Event:
        """The one failed step (since event ``after``)."""
        (failed,) = self.journal.events(Query(kind="outbound.*", outcome="failed", after=after))
        return failed


@pytest.fixture
def steps(tmp_path: Path) -> Iterator[Recorded]:
    recorded = Recorded(tmp_path / "outbound.sqlite3")
    yield recorded
    recorded.journal.close()


@dataclass
class Client:
    """Lucca's client with this test's known_hosts and journal (``Journal.record`` is the recorder)."""

    steps: Recorded
    known_hosts: Path

    def connect(self, server: CustomerServer) -> Remote:
        return connect(server, known_hosts=self.known_hosts, record=self.steps.journal.record)

    @staticmethod
    def server(**fields: Any) -> CustomerServer:
        """A customer server on loopback, with a short timeout."""
        return CustomerServer.model_validate({"host": "127.0.0.1", "timeout": FAST, **fields})

    def refused(self, server: CustomerServer) -> OutboundError:
        """The error of a connection that fails, after checking that it was recorded as such."""
        before = self.steps.journal.last_id()
        with pytest.raises(OutboundError) as caught:
            self.connect(server).close()
        failed = self.steps.failure(after=before)
        assert failed.detail["reason"] == caught.value.reason
        assert failed.detail["message"] == str(caught.value)
        return caught.value


@pytest.fixture
def lucca(steps: Recorded, tmp_path: Path) -> Client:
    return Client(steps, tmp_path / "known_hosts")


# -- OpenSSH sshd -----------------------------------------------------------------------------------------


@dataclass
class Sshd:
    port: int
    read_only_port: int
    home: Path
    client_key: Path
    host_key: asyncssh.SSHKey

    def server(self, **fields: Any) -> CustomerServer:
        defaults = {"type": "sftp", "port": self.port, "login": "root", "private_key": str(self.client_key)}
        return Client.server(**{**defaults, **fields})


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """sshd with internal-sftp forced and started in ``home``; a second port serves it read-only."""
    require("sshd")
    folder = tmp_path_factory.mktemp("sshd")
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    host_key.write_private_key(folder / "ssh_host_ed25519_key")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key.write_private_key(folder / "lucca_key")
    client_key.write_public_key(folder / "authorized_keys")
    home = folder / "home"
    for name in ("exports", "imports"):
        (home / name).mkdir(parents=True)
    ports = [free_port(), free_port()]
    config = SshdConfig(
        ports=ports,
        folder=folder,
        host_key=folder / "ssh_host_ed25519_key",
        authorized_keys=folder / "authorized_keys",
        home=home,
        password=True,
        read_only_ports=ports[1:],
    )
    process = start_sshd(config)
    try:
        yield Sshd(ports[0], ports[1], home, folder / "lucca_key", host_key)
    finally:
        process.stop()


# -- vsftpd ------------------------------------------------------------------------------------------------


@dataclass
class Pki:
    """The customer's CA, and certificates for their server: good, expired, for another name."""

    authority: CertificateAuthority
    good: IssuedCertificate
    expired: IssuedCertificate
    other_name: IssuedCertificate

    @property
    def ca_file(self) -> str:
        return str(self.authority.certificate_path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    authority = CertificateAuthority.load_or_create(folder / "ca", "Customer", "IT")
    before, after = expired_window()
    return Pki(
        authority,
        authority.issue(folder / "good", "127.0.0.1", ("127.0.0.1",)),
        authority.issue(folder / "expired", "127.0.0.1", ("127.0.0.1",), not_before=before, not_after=after),
        authority.issue(folder / "other", "files.example.org", ("files.example.org",)),
    )


@dataclass
class Vsftpd:
    port: int
    root: Path
    implicit: bool

    def server(self, **fields: Any) -> CustomerServer:
        kind = "ftps" if self.implicit else "ftpes"
        defaults = {"type": kind, "port": self.port, "login": "anonymous", "password": "lucca@example.com"}
        return Client.server(**{**defaults, **fields})


VsftpdFactory = Callable[..., Vsftpd]


@pytest.fixture
def vsftpd(tmp_path: Path, pki: Pki) -> Iterator[VsftpdFactory]:
    """Start vsftpd: ``vsftpd(implicit=True, writable=False, certificate=pki.expired)``."""
    require("vsftpd")
    started: list[Process] = []

    def start(
        *,
        implicit: bool = False,
        writable: bool = True,
        tls: bool = True,
        certificate: IssuedCertificate | None = None,
    ) -> Vsftpd:
        folder = tmp_path / f"vsftpd-{len(started)}"
        root = folder / "files"
        for name in ("exports", "imports"):
            (root / name).mkdir(parents=True)
        chain = certificate or pki.good
        config = VsftpdConfig(
            port=free_port(),
            folder=folder,
            root=root,
            certificate=chain.certificate_path,
            key=chain.key_path,
            implicit=implicit,
            writable=writable,
            tls=tls,
        )
        started.append(start_vsftpd(config))
        return Vsftpd(config.port, root, implicit)

    yield start
    for process in started:
        process.stop()


# -- other ports -------------------------------------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]
