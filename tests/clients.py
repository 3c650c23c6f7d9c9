"""Real clients, driven the way users drive them: OpenSSH sftp, curl, paramiko, asyncssh.

Missing system clients skip a test with a visible reason on a workstation, and fail it in CI (CI=true),
where .ci/run installs them.
"""

from __future__ import annotations

import ftplib
import io
import os
import shutil
import socket
import ssl
import stat
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import paramiko
import pytest

from mockpartners import AccountInfo, EndpointInfo, Partner


def require(program: str) -> str:
    """The path of a system client; skip (or fail in CI) when it is not installed."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (apt-get install {_PACKAGES.get(program, program)})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: CI must have every client the tests drive")
        pytest.skip(message)
    return path


_PACKAGES = {"sftp": "openssh-client", "ssh": "openssh-client", "ssh-keygen": "openssh-client"}


@dataclass
class Askpass:
    """An SSH_ASKPASS program that answers every prompt with ``answer`` and records the prompts."""

    script: Path
    log: Path

    @classmethod
    def create(cls, folder: Path, answer: str) -> Askpass:
        log = folder / "askpass.log"
        script = folder / "askpass.sh"
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\nprintf "%s\\n" \'{answer}\'\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return cls(script, log)

    @property
    def prompts(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "SSH_ASKPASS": str(self.script),
            "SSH_ASKPASS_REQUIRE": "force",
            "DISPLAY": ":0",
        }


def ssh_options(endpoint: EndpointInfo) -> list[str]:
    """Options that make OpenSSH ignore the user's own config, agent and known hosts."""
    return [
        "-F",
        "/dev/null",
        "-o",
        f"UserKnownHostsFile={endpoint.known_hosts_file}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "ConnectTimeout=10",
    ]


def sftp_batch(
    endpoint: EndpointInfo,
    username: str,
    commands: str,
    *,
    key: str | Path | None = None,
    options: Sequence[str] = (),
    askpass: Askpass | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    """OpenSSH ``sftp`` in batch mode (-b -: stops at the first error), or answering prompts via askpass."""
    command = sftp_command(endpoint, username, key=key, options=options, batch=askpass is None)
    environment = askpass.environment() if askpass else None
    return subprocess.run(
        command, input=commands, text=True, capture_output=True, timeout=timeout, env=environment
    )


def sftp_command(
    endpoint: EndpointInfo,
    username: str,
    *,
    key: str | Path | None = None,
    options: Sequence[str] = (),
    batch: bool = True,
) -> list[str]:
    """The OpenSSH ``sftp`` command line (batch mode reads commands from stdin), for run or Popen."""
    # OpenSSH keeps the first value of an option: the caller's options come before our defaults
    command = [require("sftp"), "-P", str(endpoint.port), *options, *ssh_options(endpoint)]
    if key is not None:
        command += ["-i", str(key)]
    else:
        command += ["-o", "PubkeyAuthentication=no"]
    if batch:
        command += ["-b", "-"]
    return [*command, f"{username}@{endpoint.host}"]


def paramiko_request(endpoint: EndpointInfo, account: AccountInfo, name: str, *, rename: bool = False) -> str:
    """Upload a request to ONSS's IN as a well-behaved client does, or (``rename``) as WinSCP with a
    temporary name does: the partner refuses the RENAME and takes the ``.filepart``. Returns what it took."""
    target = f"IN/{name}.filepart" if rename else f"IN/{name}"
    transport, sftp = paramiko_sftp(endpoint, account.username, key=account.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(b"<dmfa/>\n"), target, confirm=False)
        if rename:
            with pytest.raises(PermissionError):
                sftp.rename(target, f"IN/{name}")
    return target


def served_certificate(endpoint: EndpointInfo, path: Path) -> Path:
    """The certificate an FTPS endpoint shows (``openssl s_client -starttls ftp``), saved to pin it."""
    shown = subprocess.run(
        [require("openssl"), "s_client", "-connect", f"{endpoint.host}:{endpoint.port}", "-starttls", "ftp"],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    begin = shown.stdout.index("-----BEGIN CERTIFICATE-----")
    end = shown.stdout.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    path.write_text(shown.stdout[begin:end] + "\n")
    return path


def curl(*arguments: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("curl"), "-sS", *arguments], text=True, capture_output=True, timeout=timeout
    )


def curl_sftp(
    endpoint: EndpointInfo, account: AccountInfo, path: str, *arguments: str, key: str | None = None
) -> subprocess.CompletedProcess[str]:
    """curl (libssh2) against an SFTP endpoint with the account's sample key and the host key pinned."""
    private = key or str(account.private_key)
    credentials = ["-u", f"{account.username}:", "--key", private, "--pubkey", private + ".pub"]
    if account.passphrase and key is None:
        credentials += ["--pass", account.passphrase]
    pin = ["--hostpubsha256", endpoint.host_keys[0].sha256.removeprefix("SHA256:")]
    return curl(*credentials, *pin, *arguments, f"sftp://{endpoint.host}:{endpoint.port}{path}")


def paramiko_sftp(
    endpoint: EndpointInfo,
    username: str,
    *,
    key: str | Path | None = None,
    password: str | None = None,
    passphrase: bytes | None = None,
    source: str | None = None,
) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    """A paramiko SFTP session (from ``source``, a 127.0.0.x address, if given); raises paramiko's own
    exceptions when the partner refuses the login."""
    address = (endpoint.host, endpoint.port)
    transport = paramiko.Transport(
        socket.create_connection(address, timeout=10, source_address=(source, 0)) if source else address
    )
    try:
        transport.start_client(timeout=10)
        if key is not None:
            transport.auth_publickey(username, paramiko.PKey.from_path(key, passphrase))
        else:
            transport.auth_password(username, password or "")
        return transport, paramiko.SFTPClient.from_transport(transport)  # type: ignore[return-value]
    except BaseException:
        transport.close()
        raise


def asyncssh_connect(
    endpoint: EndpointInfo,
    username: str,
    keys: Sequence[str | Path | asyncssh.SSHKey],
    *,
    passphrase: str | None = None,
    source: str | None = None,
) -> Any:
    """asyncssh's client offering exactly ``keys`` (files or keys; no agent, no ~/.ssh config), the host
    key pinned: await it, or use it as ``async with``; raises asyncssh's exceptions on a refusal."""
    client_keys = [
        key if isinstance(key, asyncssh.SSHKey) else asyncssh.read_private_key(key, passphrase)
        for key in keys
    ]
    return asyncssh.connect(
        endpoint.host,
        endpoint.port,
        username=username,
        client_keys=client_keys,
        known_hosts=endpoint.known_hosts_file,
        agent_path=None,
        config=None,
        local_addr=(source, 0) if source else None,
    )


# -- FTPS ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """A client certificate as the FTPS clients take it."""

    certificate: str
    key: str

    @classmethod
    def of(cls, account: AccountInfo) -> Certificate:
        assert account.certificate is not None, f"{account.username} has no sample certificate"
        return cls(account.certificate.certificate, account.certificate.key)


def curl_ftps(
    endpoint: EndpointInfo,
    username: str,
    path: str,
    *arguments: str,
    certificate: Certificate | None = None,
    source: str | None = None,
    ca_file: str | None = None,
    implicit: bool | None = None,
    password: str = "blabla",
) -> subprocess.CompletedProcess[str]:
    """curl as the MAGDA page shows it: ``-u CN:blabla --ftp-ssl --cert --key --cacert`` (plus --ssl-reqd)
    on ``ftp://``; on an implicit TLS endpoint (or ``implicit=True``), ``ftps://``: TLS from byte one. With
    ``password`` and no certificate, a password login."""
    options = curl_ftps_options(
        endpoint, username, certificate=certificate, source=source, ca_file=ca_file, password=password
    )
    return curl(
        *options, *arguments, f"{ftps_scheme(endpoint, implicit)}://{endpoint.host}:{endpoint.port}{path}"
    )


def ftps_scheme(endpoint: EndpointInfo, implicit: bool | None = None) -> str:
    """The URL scheme curl and lftp take for an FTPS endpoint: ``ftps`` is implicit TLS, ``ftp`` (with TLS
    forced) explicit; ``implicit`` overrides what the endpoint is, to come to the wrong kind of port."""
    assert endpoint.tls is not None
    return "ftps" if (endpoint.tls.mode == "implicit" if implicit is None else implicit) else "ftp"


def curl_ftps_upload(
    partner: Partner, local: Path, path: str, *arguments: str, username: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``curl -T LOCAL`` to ``path`` (a folder ending in "/" keeps the local name), as the account."""
    account = partner.account(username)
    certificate = Certificate.of(account)
    return curl_ftps(
        partner.endpoint(), account.username, path, "-T", str(local), *arguments, certificate=certificate
    )


def curl_ftps_options(
    endpoint: EndpointInfo,
    username: str,
    *,
    certificate: Certificate | None = None,
    source: str | None = None,
    ca_file: str | None = None,
    password: str = "blabla",
) -> list[str]:
    """curl's options for an FTPS endpoint (login, TLS, client certificate), for run or Popen."""
    assert endpoint.tls is not None
    options = [
        "-u",
        f"{username}:{password}",
        "--ftp-ssl",
        "--ssl-reqd",
        "--cacert",
        ca_file or endpoint.tls.ca_file,
    ]
    if certificate is not None:
        options += ["--cert", certificate.certificate, "--key", certificate.key]
    if source is not None:
        options += ["--interface", source]
    return options


def lftp_ftps(
    endpoint: EndpointInfo,
    username: str,
    commands: str,
    *,
    certificate: Certificate | None = None,
    source: str | None = None,
    settings: Sequence[str] = (),
    timeout: float = 60,
    implicit: bool | None = None,
    password: str = "",
) -> subprocess.CompletedProcess[str]:
    """lftp with the MAGDA page's exact settings, logging in with an empty password (or ``password``):
    ``open ftp://`` with ``ftp:ssl-force``, or ``open ftps://`` on an implicit TLS endpoint (or
    ``implicit=True``)."""
    lines = [
        "set ftp:passive-mode true",
        "set ftp:ssl-force true",
        "set ftp:ssl-protect-data true",
        "set ftp:use-site-utime2 false",
        "set ssl:verify-certificate no",
        "set net:max-retries 1",
        "set net:timeout 10",
    ]
    if certificate is not None:
        lines += [f"set ssl:cert-file {certificate.certificate}", f"set ssl:key-file {certificate.key}"]
    if source is not None:
        lines.append(f"set net:socket-bind-ipv4 {source}")
    url = f"{ftps_scheme(endpoint, implicit)}://{endpoint.host}:{endpoint.port}"
    lines += [*settings, f'open -u {username},"{password}" {url}', commands, "bye"]
    return subprocess.run(
        [require("lftp"), "-f", "/dev/stdin"],
        input="\n".join(lines) + "\n",
        text=True,
        capture_output=True,
        timeout=timeout,
    )


class SessionReusingFTP(ftplib.FTP_TLS):
    """ftplib resuming the control connection's TLS session on data connections, as curl, lftp and WinSCP
    do (ftplib itself does not): what MAGDA requires, like vsftpd (``session_reuse_required``)."""

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:  # type: ignore[attr-defined]
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)  # type: ignore[union-attr]
        return conn, size


class ImplicitFTP(ftplib.FTP_TLS):
    """ftplib over implicit TLS ("FTPS", port 990), which ftplib lacks: the socket is wrapped as ``connect``
    makes it, so the handshake comes before the greeting, as with curl's ``ftps://`` and lftp's ``open
    ftps://``. ``login`` then sees a TLS socket and sends no ``AUTH TLS``."""

    _sock: socket.socket | None = None

    @property  # type: ignore[override]
    def sock(self) -> socket.socket | None:
        return self._sock

    @sock.setter
    def sock(self, value: socket.socket | None) -> None:
        if value is not None and not isinstance(value, ssl.SSLSocket):
            value = self.context.wrap_socket(value, server_hostname=self.host)  # type: ignore[attr-defined]
        self._sock = value


class ImplicitReusingFTP(ImplicitFTP, SessionReusingFTP):
    """Implicit TLS, resuming the control connection's TLS session on data connections."""


def tls_client_context(
    ca_file: str, certificate: Certificate | None = None, tls_version: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    """Python's ssl as a TLS client: trusting ``ca_file``, presenting ``certificate``, speaking only
    ``tls_version`` if given (old versions at any security level, as an old client would)."""
    context = ssl.create_default_context(cafile=ca_file)
    if certificate is not None:
        context.load_cert_chain(certificate.certificate, certificate.key)
    if tls_version is not None:
        with warnings.catch_warnings():  # old TLS versions are deprecated: that is the point of asking
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = tls_version
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def ftplib_tls(
    endpoint: EndpointInfo,
    certificate: Certificate | None = None,
    *,
    source: str | None = None,
    tls_version: ssl.TLSVersion | None = None,
    reuse_session: bool = True,
    ca_file: str | None = None,
    implicit: bool | None = None,
) -> ftplib.FTP_TLS:
    """Python's ftplib.FTP_TLS, connected (not yet logged in) and trusting the partner's root CA; it resumes
    the control connection's TLS session on data connections unless ``reuse_session=False`` (plain
    ftplib, which a partner requiring reuse refuses with ``522``). On an implicit TLS endpoint (or with
    ``implicit=True``) the handshake comes first (:class:`ImplicitFTP`)."""
    assert endpoint.tls is not None
    context = tls_client_context(ca_file or endpoint.tls.ca_file, certificate, tls_version)
    kind: type[ftplib.FTP_TLS] = SessionReusingFTP if reuse_session else ftplib.FTP_TLS
    if ftps_scheme(endpoint, implicit) == "ftps":
        kind = ImplicitReusingFTP if reuse_session else ImplicitFTP
    client = kind(context=context, timeout=10, source_address=(source, 0) if source else None)
    client.connect(endpoint.host, endpoint.port)
    return client


def ftplib_login(
    partner: Partner, username: str | None = None, *, reuse_session: bool = True, source: str | None = None
) -> ftplib.FTP_TLS:
    """ftplib logged in with the account's certificate (any password) and PROT P, as the MAGDA page's
    clients work; ``reuse_session=False`` is plain ftplib, which does not resume the TLS session."""
    account = partner.account(username)
    client = ftplib_tls(
        partner.endpoint(), Certificate.of(account), source=source, reuse_session=reuse_session
    )
    client.login(account.username, "")
    client.prot_p()
    return client
