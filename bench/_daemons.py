"""OpenSSH's sshd and vsftpd on loopback, with configs of our own that never touch the system's.

Two users: the bench's reference servers (bench/_references.py), and the tests of mockpartners' outbound
connector (tests/outbound/), where they play a customer's own server that Lucca's client connects to. Both
start the Debian packages' binaries as child processes on free ports, in a folder of their own.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._common import BenchError, Process, program, wait_for_port

__all__ = ["SshdConfig", "VsftpdConfig", "start_sshd", "start_vsftpd"]


@dataclass(frozen=True)
class SshdConfig:
    """``sshd_config`` for internal-sftp only, rooted in ``home``, logging in by key (and by password)."""

    ports: Sequence[int]
    folder: Path
    """Where the config, the pid file and the log go."""
    host_key: Path
    authorized_keys: Path
    home: Path
    """internal-sftp's start folder (``-d``): relative paths resolve there."""
    password: bool = False
    """Offer password authentication (as root with a locked password, every password is refused)."""
    read_only_ports: Sequence[int] = ()
    """Ports (among ``ports``) where internal-sftp runs read-only (``-R``): every write is refused."""

    def text(self) -> str:
        sftp = f"internal-sftp -d {self.home}"
        lines = [f"Port {port}" for port in self.ports]
        lines += [
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "PubkeyAuthentication yes",
            f"PasswordAuthentication {'yes' if self.password else 'no'}",
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
            f"Subsystem sftp {sftp}",
            f"ForceCommand {sftp}",  # no shell, whatever a client asks for
        ]
        for port in self.read_only_ports:
            lines += [f"Match LocalPort {port}", f"    ForceCommand {sftp} -R"]
        return "\n".join([*lines, ""])


def start_sshd(config: SshdConfig) -> Process:
    """``sshd -D -e -f CONFIG``, once ``sshd -t`` accepts the config, answering on its first port."""
    binary = program("sshd")
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        Path("/run/sshd").mkdir(mode=0o755)  # the privilege separation directory, as Debian's init makes it
    config.host_key.chmod(0o600)  # sshd refuses a host key others may read
    path = config.folder / "sshd_config"
    path.write_text(config.text())
    check = subprocess.run([binary, "-t", "-f", str(path)], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise BenchError(f"sshd refused the config {path}: {check.stderr.strip() or check.stdout}")
    process = Process([binary, "-D", "-e", "-f", str(path)], config.folder / "sshd.log", name="sshd")
    wait_for_port(config.ports[0], greeting=b"SSH-", alive=process.check_alive)
    return process


@dataclass(frozen=True)
class VsftpdConfig:
    """vsftpd in standalone mode with TLS required on control and data, TLS sessions reused.

    ``run_as_launching_user`` makes it run as whoever starts it, root or not, without system users or a
    chroot; vsftpd then serves anonymous logins only (any other user is told ``530 This FTP server is
    anonymous only.``), starting in ``root``.
    """

    port: int
    folder: Path
    root: Path
    certificate: Path
    """The server's chain (leaf first) and its key."""
    key: Path
    client_ca: Path | None = None
    """Demand a client certificate issued by this CA (none: no client certificate asked for)."""
    implicit: bool = False
    """TLS from the first byte (``implicit_ssl``), rather than ``AUTH TLS`` on a plain connection."""
    writable: bool = True
    """Anonymous uploads, deletions and renames allowed; otherwise refused with ``550 Permission denied.``"""
    tls: bool = True
    """Without TLS (``ssl_enable=NO``): plain FTP, ``AUTH TLS`` refused; a server nobody should run."""

    def text(self) -> str:
        passive = random.randrange(50000, 59000, 100)  # clear of the doubles' 40000-49999
        allowed = "YES" if self.writable else "NO"
        lines = [
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
            f"write_enable={allowed}",
            f"anon_upload_enable={allowed}",
            f"anon_other_write_enable={allowed}",
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
            f"ssl_enable={'YES' if self.tls else 'NO'}",
            f"implicit_ssl={'YES' if self.implicit else 'NO'}",
            "allow_anon_ssl=YES",
            "force_anon_logins_ssl=YES",
            "force_anon_data_ssl=YES",
            "ssl_sslv2=NO",
            "ssl_sslv3=NO",
            "ssl_tlsv1=NO",
            "ssl_ciphers=HIGH",
            "require_ssl_reuse=YES",  # vsftpd's default, like mockpartners' MAGDA (curl resumes the session)
            f"rsa_cert_file={self.certificate}",
            f"rsa_private_key_file={self.key}",
        ]
        if self.client_ca is not None:
            lines += [f"ca_certs_file={self.client_ca}", "require_cert=YES", "validate_cert=YES"]
        return "\n".join([*lines, ""])


def start_vsftpd(config: VsftpdConfig) -> Process:
    """``vsftpd CONFIG``, answering on its port (accepting connections, when TLS is implicit)."""
    (config.folder / "empty").mkdir(parents=True, exist_ok=True)
    path = config.folder / "vsftpd.conf"
    path.write_text(config.text())
    process = Process([program("vsftpd"), str(path)], config.folder / "vsftpd.out", name="vsftpd")
    greeting = None if config.implicit else b"220"  # implicit TLS greets only after a handshake
    wait_for_port(config.port, greeting=greeting, alive=process.check_alive)
    return process
