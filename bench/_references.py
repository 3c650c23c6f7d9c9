"""The reference servers: OpenSSH's sshd (internal-sftp) and vsftpd, on loopback with configs of our own.

Both use the very credentials mockpartners serves (ONSS's RSA host key and account key, MAGDA's server
chain and client CA), so handshakes cost the same on both sides and the clients' options are identical.
Neither touches the system's own config, port 22 or port 21.
"""

from __future__ import annotations

import getpass
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

from ._common import BenchError, Process, free_port, program, wait_for_port
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
        self._binary = program("sshd")
        self._config = self.folder / "sshd_config"
        self._prepare(credentials)

    def _prepare(self, credentials: Credentials) -> None:
        for folder in (self.root / "IN", self.root / "OUT"):
            folder.mkdir(parents=True, exist_ok=True)
        host_key = self.folder / "ssh_host_rsa_key"
        shutil.copyfile(credentials.host_key, host_key)
        host_key.chmod(0o600)  # sshd refuses a host key others may read
        shutil.copyfile(credentials.client_public_key, self.folder / "authorized_keys")
        if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
            Path("/run/sshd").mkdir(
                mode=0o755
            )  # the privilege separation directory, as Debian's init makes it

    def _write_config(self) -> None:
        self._config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.folder / 'ssh_host_rsa_key'}",
                    f"PidFile {self.folder / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    # as root, no PAM (no system login stack in the measure); not as root, sshd without PAM
                    # refuses accounts whose password is locked (nobody, adduser --disabled-password)
                    f"UsePAM {'no' if os.geteuid() == 0 else 'yes'}",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "UseDNS no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "X11Forwarding no",
                    "AllowTcpForwarding no",
                    "MaxStartups 1000",  # the default (10:30:100) drops concurrent logins at random
                    "MaxSessions 10",
                    "LogLevel ERROR",
                    f"Subsystem sftp internal-sftp -d {self.root}",
                    "",
                ]
            )
        )

    def target(self) -> Target:
        return Target(self.label, self.port, getpass.getuser(), self.root, "IN", "OUT", self._pid())

    def start(self) -> float:
        """Start it and return the seconds from spawn to its SSH greeting."""
        self.port = free_port()
        self._write_config()
        check = subprocess.run(
            [self._binary, "-t", "-f", str(self._config)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise BenchError(f"sshd refused the bench's config: {check.stderr.strip() or check.stdout}")
        self.process = Process(
            [self._binary, "-D", "-e", "-f", str(self._config)], self.folder / "sshd.log", name="sshd"
        )
        wait_for_port(self.port, greeting=b"SSH-", alive=self.process.check_alive)
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
        self._binary = program("vsftpd")
        self._config = self.folder / "vsftpd.conf"
        self._credentials = credentials
        for folder in (self.root / "to_vip", self.root / "from_vip", self.folder / "empty"):
            folder.mkdir(parents=True, exist_ok=True)

    def target(self) -> Target:
        pid = self.process.pid if self.process else 0
        target = Target(self.label, self.port, "anonymous", self.root, "to_vip", "from_vip", pid)
        target.implicit = self.implicit
        return target

    def _write_config(self) -> None:
        passive = random.randrange(44000, 59000, 100)
        tls = self._credentials
        self._config.write_text(
            "\n".join(
                [
                    "listen=YES",
                    "listen_ipv6=NO",
                    "listen_address=127.0.0.1",
                    f"listen_port={self.port}",
                    "background=NO",
                    "run_as_launching_user=YES",
                    "anonymous_enable=YES",
                    "local_enable=NO",
                    "no_anon_password=YES",
                    f"anon_root={self.root}",
                    "write_enable=YES",
                    "anon_upload_enable=YES",
                    "anon_other_write_enable=YES",
                    "anon_world_readable_only=NO",
                    "anon_umask=022",
                    "pasv_enable=YES",
                    f"pasv_min_port={passive}",
                    f"pasv_max_port={passive + 99}",
                    "pasv_address=127.0.0.1",
                    "port_enable=NO",
                    "connect_from_port_20=NO",
                    "seccomp_sandbox=NO",
                    "isolate=NO",
                    "isolate_network=NO",
                    f"secure_chroot_dir={self.folder / 'empty'}",
                    "xferlog_enable=NO",
                    "syslog_enable=NO",
                    f"vsftpd_log_file={self.folder / 'vsftpd.log'}",
                    "max_clients=0",
                    "max_per_ip=0",
                    "ssl_enable=YES",
                    f"implicit_ssl={'YES' if self.implicit else 'NO'}",
                    "allow_anon_ssl=YES",
                    "force_anon_logins_ssl=YES",
                    "force_anon_data_ssl=YES",
                    "ssl_sslv2=NO",
                    "ssl_sslv3=NO",
                    "ssl_tlsv1=NO",
                    "ssl_ciphers=HIGH",
                    "require_ssl_reuse=YES",  # like mockpartners' MAGDA (curl resumes the session)
                    f"rsa_cert_file={tls.server_certificate}",
                    f"rsa_private_key_file={tls.server_key}",
                    f"ca_certs_file={tls.client_ca}",
                    "require_cert=YES",
                    "validate_cert=YES",
                    "",
                ]
            )
        )

    def start(self) -> float:
        """Start it and return the seconds from spawn to its ``220`` greeting (implicit TLS: until it accepts
        connections, since it greets only after a handshake)."""
        self.port = free_port()
        self._write_config()
        self.process = Process([self._binary, str(self._config)], self.folder / "vsftpd.out", name="vsftpd")
        greeting = None if self.implicit else b"220"
        wait_for_port(self.port, greeting=greeting, alive=self.process.check_alive)
        return time.perf_counter() - self.process.started

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
