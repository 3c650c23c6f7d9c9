"""The servers under test that are ours: mockpartners as ``mockpartners up`` and the bare libraries.

Each runs as a process of its own, like sshd and vsftpd, so the bench's clients never share a core or the
GIL with the server they measure, and the server's memory is its own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mockpartners import Journal, Query, SuiteInfo, load_profile
from mockpartners.infra.endpoints import EndpointInfo
from mockpartners.infra.state import StateDir
from mockpartners.model.errors import MockPartnersError

from ._common import BenchError, Process, free_port, wait_for_port

__all__ = ["Bare", "Credentials", "Ours", "Target", "implicit_magda", "prepare_credentials"]

IMPLICIT_TLS = "magda.endpoints.ftps.tls=implicit"
"""MAGDA's one FTPS endpoint with implicit TLS: the only change from the explicit row's server."""
_FOLLOW_UPS = [
    "partner.answer",
    "partner.reject",
    "partner.ignore",
    "partner.incomplete",
    "partner.error",
    "partner.deposit",  # the XFB gateway's deposits processor
]


@dataclass(frozen=True)
class Credentials:
    """The keys and certificates every server of a run uses: those mockpartners generated for itself."""

    host_key: Path
    client_key: Path
    client_public_key: Path
    server_certificate: Path
    server_key: Path
    server_ca: Path
    client_ca: Path
    client_certificate: Path
    client_certificate_key: Path


@dataclass
class Target:
    """A server as a client sees it: where to connect, who to be, which folders to use."""

    label: str
    port: int
    user: str
    files: Path
    """The folder the server keeps this user's files in (to seed downloads and clean up)."""
    upload: str
    download: str
    pid: int
    password: str = ""
    settle: Callable[[str], None] = field(default=lambda path: None)
    """Called after each upload with its remote path: mockpartners waits until the partner dealt with it."""
    implicit: bool = False
    """FTPS with implicit TLS (the handshake at connect, ``ftps://``) rather than ``AUTH TLS``."""


def prepare_credentials(state_dir: Path) -> Credentials:
    """Generate ONSS's and MAGDA's credentials in the bench's state directory (kept between runs)."""
    state = StateDir(state_dir)
    state.prepare()
    ssh = state.ssh_credentials(load_profile("onss"))
    tls = state.tls_credentials(load_profile("magda"))
    account = ssh.accounts["EXP0000001"]
    client = tls.accounts["afnemer-0001"]
    assert account.key is not None, "ONSS's profile gives EXP0000001 a sample key"
    return Credentials(
        host_key=ssh.host_keys[0].private_path,
        client_key=account.key.private_path,
        client_public_key=account.key.public_path,
        server_certificate=tls.server.certificate_path,
        server_key=tls.server.key_path,
        server_ca=tls.root.certificate_path,
        client_ca=tls.client_ca.certificate_path,
        client_certificate=client.certificate_path,
        client_certificate_key=client.key_path,
    )


class Ours:
    """``mockpartners up PARTNER --ports ephemeral --no-admin --quiet`` on the bench's state directory."""

    label = "mockpartners"

    def __init__(
        self,
        state_dir: Path,
        partners: str | Sequence[str],
        settings: Sequence[str] = (),
        *,
        admin: bool = False,
    ) -> None:
        self.state_dir = state_dir
        self.partners = [partners] if isinstance(partners, str) else list(partners)
        self.partner = self.partners[0]
        self.settings = list(settings)
        self.admin = admin
        self.process: Process | None = None
        self.info: SuiteInfo | None = None
        self._journal: Journal | None = None
        self._started_at = 0

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "mockpartners", "up", *self.partners, "--ports", "ephemeral"]
        command += ["--state-dir", str(self.state_dir), "--quiet"]
        if not self.admin:
            command.append("--no-admin")
        for setting in self.settings:
            command += ["--set", setting]
        return command

    def start(self) -> float:
        """Start it and return the seconds from spawn until every endpoint answers."""
        self.process = Process(
            self.command(),
            self.state_dir.parent / f"mockpartners-{self.state_dir.name}.log",
            name="mockpartners",
        )
        self.info = self._wait_running(self.process)
        endpoints = [e for name in self.partners for e in self.info[name].endpoints.values()]
        for endpoint in endpoints:
            wait_for_port(endpoint.port, greeting=_greeting(endpoint), alive=self.process.check_alive)
        took = time.perf_counter() - self.process.started
        self._started_at = self.journal().last_id()  # this run's uploads are followed up after it
        return took

    def _wait_running(self, process: Process, timeout: float = 30) -> SuiteInfo:
        path = self.state_dir / "endpoints.json"
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            process.check_alive()
            try:
                info = SuiteInfo.load(path)
            except MockPartnersError:
                info = None
            if info is not None and info.pid == process.pid and info.status == "running":
                return info
            time.sleep(0.002)
        raise BenchError(f"mockpartners did not start within {timeout:g} s: {process.tail()}")

    def target(self) -> Target:
        assert self.info is not None and self.process is not None
        partner = self.info[self.partner]
        endpoint = partner.endpoint()
        if endpoint.protocol == "sftp":
            account = partner.account("EXP0000001")
            folders = ("IN", "OUT")
        else:
            account = partner.account("afnemer-0001")
            folders = ("to_vip", "from_vip")
        target = Target(self.label, endpoint.port, account.username, Path(account.home), *folders, self.pid)
        target.password = "blabla"
        target.settle = self.settle
        target.implicit = _implicit(endpoint)
        return target

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def journal(self) -> Journal:
        if self._journal is None:
            self._journal = Journal(self.state_dir / "journal.sqlite3", read_only=True)
        return self._journal

    def settle(self, path: str, timeout: float = 120) -> None:
        """Until the partner followed the upload up (answered, rejected, ignored): its work is done."""
        journal = self.journal()
        query = Query(kind=_FOLLOW_UPS, partner=self.partner, path=path.lstrip("/"), after=self._started_at)
        try:
            journal.wait_for(query, timeout=timeout)
        except MockPartnersError as error:
            raise BenchError(f"mockpartners never followed up {path}: {error}") from None

    def stop(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.process is not None:
            self.process.stop()
            self.process = None


def _implicit(endpoint: EndpointInfo) -> bool:
    return endpoint.tls is not None and endpoint.tls.mode == "implicit"


def _greeting(endpoint: EndpointInfo) -> bytes | None:
    """What a ready endpoint sends first; nothing before the handshake on an implicit TLS port, nothing
    at all over HTTP (the client speaks first)."""
    if endpoint.protocol == "sftp":
        return b"SSH-"
    if endpoint.protocol == "http":
        return None
    return None if _implicit(endpoint) else b"220"


def implicit_magda(state_dir: Path) -> Ours:
    """MAGDA as the explicit FTPS row measures it, but for implicit TLS (``IMPLICIT_TLS``).

    Both run at once, to be measured in the same rounds, and a state directory serves one process: this
    one gets its own (``state-implicit`` beside ``state_dir``), seeded with MAGDA's credentials, so the
    server certificate, client CA and client certificate are the very ones of the explicit row.
    """
    implicit_state = StateDir(state_dir.with_name(f"{state_dir.name}-implicit"))
    implicit_state.prepare()
    implicit_state.copy_credentials_from(StateDir(state_dir), "magda")
    return Ours(implicit_state.path, "magda", [IMPLICIT_TLS])


class Bare:
    """The library alone (``python -m bench._bare``): what mockpartners adds is measured against it."""

    def __init__(self, workdir: Path, protocol: str, credentials: Credentials) -> None:
        self.protocol = protocol
        self.label = "bare asyncssh" if protocol == "sftp" else "bare pyftpdlib"
        self.folder = workdir / f"bare-{protocol}"
        self.root = self.folder / "files"
        self.folders = ("IN", "OUT") if protocol == "sftp" else ("to_vip", "from_vip")
        for folder in self.folders:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.credentials = credentials
        self.port = 0
        self.process: Process | None = None

    def start(self) -> float:
        self.port = free_port()
        c = self.credentials
        command = [sys.executable, "-m", "bench._bare", self.protocol, str(self.port), str(self.root)]
        if self.protocol == "sftp":
            command += [str(c.host_key), str(c.client_public_key)]
        else:
            command += [str(c.server_certificate), str(c.server_key), str(c.client_ca)]
        self.process = Process(command, self.folder / "server.log", name=self.label)
        greeting = b"SSH-" if self.protocol == "sftp" else b"220"
        wait_for_port(self.port, greeting=greeting, timeout=30, alive=self.process.check_alive)
        return time.perf_counter() - self.process.started

    def target(self) -> Target:
        user = "EXP0000001" if self.protocol == "sftp" else "afnemer-0001"
        pid = self.process.pid if self.process else 0
        return Target(self.label, self.port, user, self.root, *self.folders, pid, password="blabla")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
