"""Sessions as the reliability tests open them: one account of a partner, over the partner's own protocol.

ONSS speaks SFTP (paramiko here), MAGDA FTPS (ftplib over TLS, from an address on the account's allowlist).
A request is uploaded the way each partner's guide says: ONSS straight into ``IN``, MAGDA under a temporary
name in ``to_vip`` and then renamed, so that an answer proves the partner took it whole.
"""

from __future__ import annotations

import ftplib
import io
import os
from pathlib import Path

import paramiko

from mockpartners import AccountInfo, Event, Partner, load_profile
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, ftplib_tls, paramiko_sftp

ALL_RIGHTS = ["list", "read", "write", "delete", "rename", "mkdir", "setstat"]


def inbox_and_answers(partner: Partner) -> tuple[str, str]:
    """The partner's first inbox and the folder where its answers go."""
    assert partner.profile.pickup is not None
    return next(iter(partner.profile.pickup.inboxes.items()))


def unrestricted(mockpartners: SuiteFactory, name: str) -> Partner:
    """A partner granting every right in every folder (ONSS's refused RENAME and SETSTAT allowed again):
    whatever keeps a client in its home then cannot be a folder's rights."""
    folders = {folder: {"rights": ALL_RIGHTS} for folder in load_profile(name).folders}
    partner = mockpartners(name, overrides={name: {"folders": folders}})[name]
    for scenario in ("rename-refused", "setstat-refused"):
        partner.scenarios.off(scenario)
    return partner


def sftp_session(
    partner: Partner, username: str | None = None
) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    account = partner.account(username)
    passphrase = account.passphrase.encode() if account.passphrase else None
    return paramiko_sftp(partner.endpoint(), account.username, key=account.private_key, passphrase=passphrase)


def source_address(account: AccountInfo) -> str | None:
    """An IPv4 loopback address the account may log in from (None: any)."""
    return next((address for address in account.ip_allowlist or () if address.startswith("127.")), None)


def ftps_session(partner: Partner, username: str | None = None) -> ftplib.FTP_TLS:
    """Logged in, data channel protected (PROT P), as the MAGDA page's clients do."""
    account = partner.account(username)
    client = ftplib_tls(partner.endpoint(), Certificate.of(account), source=source_address(account))
    client.login(account.username, "")
    client.prot_p()
    return client


def upload_request(partner: Partner, name: str, data: bytes, username: str | None = None) -> str:
    """Upload a request the partner's way; returns its home-relative path in the inbox."""
    path = f"{inbox_and_answers(partner)[0]}/{name}"
    if partner.name == "magda":
        with ftps_session(partner, username) as client:
            client.storbinary(f"STOR {path}.tmp", io.BytesIO(data))
            client.rename(f"{path}.tmp", path)
        return path
    transport, sftp = sftp_session(partner, username)
    with transport, sftp:
        sftp.putfo(io.BytesIO(data), path, confirm=False)
    return path


def answered(partner: Partner, name: str, username: str | None = None, timeout: float = 10) -> Event:
    """Upload a small request and wait for the partner's answer to it."""
    path = upload_request(partner, name, b"<request/>\n", username)
    return partner.wait_for_answer(path, account=partner.account(username).username, timeout=timeout)


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` zero bytes that takes no disk space (the client side of big transfers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


def size_on_server(partner: Partner, username: str, path: str) -> int:
    real = Path(partner.account(username).home) / path
    return os.stat(real).st_size if real.exists() else 0
