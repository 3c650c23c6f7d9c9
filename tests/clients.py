"""Real clients, driven the way users drive them: OpenSSH sftp, curl, paramiko, asyncssh.

Missing system clients skip a test with a visible reason on a workstation, and fail it in CI (CI=true),
where .ci/run installs them.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from mockpartners import AccountInfo, EndpointInfo


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
    command = [require("sftp"), "-P", str(endpoint.port), *ssh_options(endpoint), *options]
    if key is not None:
        command += ["-i", str(key)]
    else:
        command += ["-o", "PubkeyAuthentication=no"]
    if askpass is None:
        command += ["-b", "-"]
    command.append(f"{username}@{endpoint.host}")
    environment = askpass.environment() if askpass else None
    return subprocess.run(
        command, input=commands, text=True, capture_output=True, timeout=timeout, env=environment
    )


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
    passphrase: str | None = None,
) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    """A paramiko SFTP session; raises paramiko's own exceptions when the partner refuses the login."""
    transport = paramiko.Transport((endpoint.host, endpoint.port))
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
