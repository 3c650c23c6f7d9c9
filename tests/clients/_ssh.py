"""SSH clients (OpenSSH sftp, curl, paramiko, asyncssh) and what every client helper shares."""

from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import paramiko
import pytest

from mockpartners import AccountInfo, EndpointInfo


def require(program: str) -> str:
    """The path of a system program (a client, or a server in /usr/sbin such as sshd and vsftpd, off a
    normal user's PATH on Debian); skip (or fail in CI) when it is not installed."""
    path = shutil.which(program, path=os.pathsep.join([os.environ.get("PATH", ""), *_SYSTEM_PATHS]))
    if path is None:
        message = f"{program} is not installed (apt-get install {_PACKAGES.get(program, program)})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: CI must have every client the tests drive")
        pytest.skip(message)
    return path


_PACKAGES = {
    "sftp": "openssh-client",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "sshd": "openssh-server",
    "chromedriver": "chromium-driver",
}
_SYSTEM_PATHS = ("/usr/sbin", "/sbin")


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
