"""The reference servers: OpenSSH's sshd (internal-sftp) and vsftpd, on loopback with configs of our own.

Both use the very credentials mockpartners serves (ONSS's RSA host key and account key, MAGDA's server
chain and client CA), so handshakes cost the same on both sides and the clients' options are identical.
Neither touches the system's own config, port 22 or port 21.
"""

from __future__ import annotations

import getpass
import shutil
import time
from pathlib import Path

from ._common import Process, free_port, program
from ._daemons import SshdConfig, VsftpdConfig, start_sshd, start_vsftpd
from ._servers import Credentials, Target

__all__ = ["Sshd", "Vsftpd"]


class Sshd:
    """``sshd -D`` with internal-sftp rooted in a folder of the bench, logging in as the current user."""

    label = "sshd"

    def __init__(self, workdir: Path, credentials: Credentials) -> None:
        self.folder = workdir / "sshd"
        self.root = self.folder / "files"
        self.port = 0
        self.process: Process | None = None
        program("sshd")  # a missing server is said before anything starts
        self._prepare(credentials)

    def _prepare(self, credentials: Credentials) -> None:
        for folder in (self.root / "IN", self.root / "OUT"):
            folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(credentials.host_key, self.folder / "ssh_host_rsa_key")
        shutil.copyfile(credentials.client_public_key, self.folder / "authorized_keys")

    def _config(self) -> SshdConfig:
        return SshdConfig(
            ports=[self.port],
            folder=self.folder,
            host_key=self.folder / "ssh_host_rsa_key",
            authorized_keys=self.folder / "authorized_keys",
            home=self.root,
        )

    def target(self) -> Target:
        return Target(self.label, self.port, getpass.getuser(), self.root, "IN", "OUT", self._pid())

    def start(self) -> float:
        """Start it and return the seconds from spawn to its SSH greeting."""
        self.port = free_port()
        self.process = start_sshd(self._config())
        return time.perf_counter() - self.process.started

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def _pid(self) -> int:
        return self.process.pid if self.process else 0


class Vsftpd:
    """vsftpd in standalone mode, TLS required on control and data, a client certificate required.

    TLS is explicit (``AUTH TLS``), or implicit with ``implicit=True`` (``implicit_ssl=YES``: the handshake
    at connect), the configuration otherwise the same. ``run_as_launching_user`` makes it run as whoever
    starts it, root or not, without system users or a chroot; vsftpd then serves anonymous logins only, so
    the bench logs in as ``anonymous`` (with the same client certificate as for mockpartners, checked
    against the same CA).
    """

    label = "vsftpd"

    def __init__(self, workdir: Path, credentials: Credentials, *, implicit: bool = False) -> None:
        self.implicit = implicit
        self.folder = workdir / ("vsftpd-implicit" if implicit else "vsftpd")
        self.root = self.folder / "files"
        self.port = 0
        self.process: Process | None = None
        program("vsftpd")
        self._credentials = credentials
        for folder in (self.root / "to_vip", self.root / "from_vip"):
            folder.mkdir(parents=True, exist_ok=True)

    def target(self) -> Target:
        pid = self.process.pid if self.process else 0
        target = Target(self.label, self.port, "anonymous", self.root, "to_vip", "from_vip", pid)
        target.implicit = self.implicit
        return target

    def _config(self) -> VsftpdConfig:
        tls = self._credentials
        return VsftpdConfig(
            port=self.port,
            folder=self.folder,
            root=self.root,
            certificate=tls.server_certificate,
            key=tls.server_key,
            client_ca=tls.client_ca,
            implicit=self.implicit,
        )

    def start(self) -> float:
        """Start it and return the seconds from spawn to its ``220`` greeting (implicit TLS: until it accepts
        connections, since it greets only after a handshake)."""
        self.port = free_port()
        self.process = start_vsftpd(self._config())
        return time.perf_counter() - self.process.started

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
