"""Paste-ready client settings per account and endpoint: the cheat-sheet's OpenSSH, curl and lftp command
lines, a WinSCP session URL and FileZilla's site settings (``GET /v1/partners/{p}/commands``, the
dashboard's Partners view).

Each uses the state directory's own files (known_hosts, the root CA, the account's key or certificate), so
what a trainer copies works as pasted on this machine.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import asdict, dataclass

from ...infra.endpoints import AccountInfo, EndpointInfo, PartnerInfo
from ._command_lines import curl_commands, ftps_commands, sftp_commands

__all__ = ["ClientCommand", "commands_of"]


@dataclass(frozen=True)
class ClientCommand:
    client: str
    """The tool: ``OpenSSH sftp``, ``curl``, ``lftp``, ``WinSCP``, ``FileZilla``."""
    text: str
    """What to paste: a command line, a session URL, or site settings (one per line)."""


def commands_of(partner: PartnerInfo) -> list[dict[str, object]]:
    """For each account, for each endpoint it may use: the commands, as JSON-ready mappings."""
    accounts: list[dict[str, object]] = []
    for account in partner.accounts:
        endpoints = [
            {"endpoint": endpoint.name, "commands": [asdict(command) for command in _for(endpoint, account)]}
            for endpoint in partner.endpoints.values()
            if not account.endpoints or endpoint.name in account.endpoints
        ]
        accounts.append({"username": account.username, "endpoints": endpoints})
    return accounts


def _for(endpoint: EndpointInfo, account: AccountInfo) -> list[ClientCommand]:
    if endpoint.protocol == "sftp":
        return _sftp(endpoint, account)
    if endpoint.protocol == "ftps":
        return _ftps(endpoint, account)
    commands = [ClientCommand("address", endpoint.url())]
    return commands + [ClientCommand("curl", text) for text in curl_commands(endpoint, account)]


def _sftp(endpoint: EndpointInfo, account: AccountInfo) -> list[ClientCommand]:
    found = sftp_commands(endpoint, account)
    if not found:
        return []
    openssh, curl = found
    return [
        ClientCommand("OpenSSH sftp", openssh),
        ClientCommand("curl", curl),
        ClientCommand("lftp", _lftp_sftp(endpoint, account)),
        ClientCommand("WinSCP", _winscp_sftp(endpoint, account)),
        ClientCommand("FileZilla", _filezilla(endpoint, account, "SFTP - SSH File Transfer Protocol")),
    ]


def _lftp_sftp(endpoint: EndpointInfo, account: AccountInfo) -> str:
    """lftp runs OpenSSH underneath: its key and known_hosts go to the ``ssh`` it starts."""
    ssh = "ssh -a -x"
    if account.key is not None:
        ssh += f" -i {account.key.private_key}"
    if endpoint.known_hosts_file:
        ssh += f" -o UserKnownHostsFile={endpoint.known_hosts_file}"
    password = f"{account.password}" if account.key is None and account.password else ""
    script = (
        f'set sftp:connect-program "{ssh}"; '
        f'open -u {account.username},"{password}" sftp://{endpoint.host}:{endpoint.port}; ls; bye'
    )
    return f"lftp -e {shlex.quote(script)}"


def _winscp_fingerprint(endpoint: EndpointInfo) -> str:
    """WinSCP's URL form of the SHA-256 host key fingerprint: the key type, then the Base64 digest made
    URL-safe (``-`` and ``_``, no padding), without the bit count (WinSCP's "Session URL" page)."""
    if not endpoint.host_keys:
        return ""
    key = endpoint.host_keys[0]
    digest = key.sha256.removeprefix("SHA256:")
    raw = base64.b64decode(digest + "=" * (-len(digest) % 4))
    return f";fingerprint={key.algorithm}-{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def _winscp_sftp(endpoint: EndpointInfo, account: AccountInfo) -> str:
    return f"sftp://{account.username}{_winscp_fingerprint(endpoint)}@{endpoint.host}:{endpoint.port}/"


def _filezilla(endpoint: EndpointInfo, account: AccountInfo, protocol: str, encryption: str = "") -> str:
    """FileZilla's Site Manager fields, in its own words."""
    lines = [f"Protocol: {protocol}"]
    if encryption:
        lines.append(f"Encryption: {encryption}")
    lines += [f"Host: {endpoint.host}", f"Port: {endpoint.port}"]
    if account.key is not None:
        lines += ["Logon Type: Key file", f"User: {account.username}", f"Key file: {account.key.private_key}"]
    elif account.password is not None:
        lines += ["Logon Type: Normal", f"User: {account.username}", f"Password: {account.password}"]
    else:
        lines += ["Logon Type: Ask for password", f"User: {account.username}"]
    return "\n".join(lines)


def _ftps(endpoint: EndpointInfo, account: AccountInfo) -> list[ClientCommand]:
    found = ftps_commands(endpoint, account)
    commands = [ClientCommand(text.split(" ", 1)[0], text) for text in found]
    assert endpoint.tls is not None
    implicit = endpoint.tls.mode == "implicit"
    scheme = "ftps" if implicit else "ftpes"
    commands.append(
        ClientCommand("WinSCP", f"{scheme}://{account.username}@{endpoint.host}:{endpoint.port}/")
    )
    if endpoint.tls.client_certificate == "required":
        text = "FileZilla cannot present a client certificate, which this endpoint requires: use curl, lftp."
        commands.append(ClientCommand("FileZilla", text))
    else:
        encryption = f"Require {'implicit' if implicit else 'explicit'} FTP over TLS"
        settings = _filezilla(endpoint, account, "FTP - File Transfer Protocol", encryption)
        commands.append(ClientCommand("FileZilla", settings))
    return commands
