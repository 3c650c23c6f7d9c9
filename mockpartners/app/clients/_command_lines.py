"""Command lines that log in to an endpoint with an account's sample credentials, as the partners' guides
write them: OpenSSH ``sftp``, curl and lftp (the cheat-sheet ``mockpartners up`` prints, and the admin API's
``GET /v1/partners/{p}/commands``)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ...infra.endpoints import AccountInfo, EndpointInfo, HostKeyInfo

__all__ = ["curl_commands", "ftps_commands", "sftp_commands"]


def sftp_commands(endpoint: EndpointInfo, account: AccountInfo) -> list[str]:
    """OpenSSH ``sftp`` and ``curl`` command lines that log in with the account's sample key, or else its
    password (``sftp`` asks for it)."""
    if account.key is None and account.password is None:
        return []
    options = ""
    if endpoint.known_hosts_file:
        options = f" -o UserKnownHostsFile={shlex.quote(endpoint.known_hosts_file)}"
    pin = ""
    if endpoint.host_keys:
        pin = f" --hostpubsha256 {_negotiated_by_curl(endpoint.host_keys).sha256.removeprefix('SHA256:')}"
    url = f"sftp://{endpoint.host}:{endpoint.port}/"
    if account.key is None:
        assert account.password is not None
        user = shlex.quote(f"{account.username}:{account.password}")
        sftp = f"sftp -P {endpoint.port}{options} {account.username}@{endpoint.host}"
        return [sftp, f"curl -u {user}{pin} {url}"]
    key = shlex.quote(account.key.private_key)
    sftp = f"sftp -P {endpoint.port} -i {key}{options} {account.username}@{endpoint.host}"
    password = f" --pass {shlex.quote(account.key.passphrase)}" if account.key.passphrase else ""
    curl = (
        f"curl -u {account.username}: --key {key} --pubkey {shlex.quote(account.key.public_key)}"
        f"{password}{pin} {url}"
    )
    return [sftp, curl]


def ftps_commands(endpoint: EndpointInfo, account: AccountInfo) -> list[str]:
    """curl and lftp command lines as the MAGDA page writes them, with the account's certificate, or, where
    the endpoint takes no client certificate, with its password: ``ftp://`` with TLS required for explicit
    TLS, ``ftps://`` (TLS from the first byte) for implicit TLS."""
    if endpoint.tls is None:
        return []
    if endpoint.tls.client_certificate == "none":
        return _password_ftps_commands(endpoint, account)
    if account.certificate is None:
        return []
    certificate = shlex.quote(account.certificate.certificate)
    key = shlex.quote(account.certificate.key)
    ca_file = shlex.quote(endpoint.tls.ca_file)
    url, required = _ftps_url(endpoint)
    curl = (
        f"curl -u {account.username}:blabla{required} --cert {certificate} --key {key} --cacert {ca_file}"
        f" {url}/from_vip/ -l"
    )
    script = (
        f"{_lftp_tls(endpoint)}"
        f" set ssl:cert-file {account.certificate.certificate}; set ssl:key-file {account.certificate.key};"
        f' set ssl:ca-file {endpoint.tls.ca_file}; open -u {account.username},"" {url}; ls; bye'
    )
    return [curl, f"lftp -e {shlex.quote(script)}"]


def curl_commands(endpoint: EndpointInfo, account: AccountInfo) -> list[str]:
    """curl at a web or mail endpoint, trusting the state directory's root: a web application's entry page
    (the XFB gateway's ``/depot-xt`` with the account's credentials in the query, as its guide writes it),
    a mail protocol logged in with the account's password (``--ssl-reqd``: STARTTLS first)."""
    ca_file = f" --cacert {shlex.quote(endpoint.tls.ca_file)}" if endpoint.tls is not None else ""
    if endpoint.protocol == "http":
        if "{password}" in endpoint.entry and account.password is None:
            return []
        path = endpoint.entry.format(user=account.username, password=account.password or "")
        return [f"curl{ca_file} {shlex.quote(endpoint.url(path=path))}"]
    if account.password is None:
        return []
    user = shlex.quote(f"{account.username}:{account.password}")
    required = " --ssl-reqd" if endpoint.tls is not None and endpoint.tls.mode != "implicit" else ""
    return [f"curl{required}{ca_file} -u {user} {endpoint.url()}"]


def _password_ftps_commands(endpoint: EndpointInfo, account: AccountInfo) -> list[str]:
    assert endpoint.tls is not None
    if account.password is None:
        return []
    ca_file = shlex.quote(endpoint.tls.ca_file)
    url, required = _ftps_url(endpoint)
    user = shlex.quote(f"{account.username}:{account.password}")
    login = f'open -u {account.username},"{account.password}" {url}'
    script = f"{_lftp_tls(endpoint)} set ssl:ca-file {endpoint.tls.ca_file}; {login}; ls; bye"
    return [f"curl -u {user}{required} --cacert {ca_file} {url}/ -l", f"lftp -e {shlex.quote(script)}"]


def _ftps_url(endpoint: EndpointInfo) -> tuple[str, str]:
    """The URL and curl's TLS option: ``ftps://`` for implicit TLS, ``ftp://`` with ``--ssl-reqd`` else."""
    assert endpoint.tls is not None
    if endpoint.tls.mode == "implicit":
        return f"ftps://{endpoint.host}:{endpoint.port}", ""
    return f"ftp://{endpoint.host}:{endpoint.port}", " --ssl-reqd"


def _lftp_tls(endpoint: EndpointInfo) -> str:
    """lftp's TLS settings as MAGDA's page gives them (``ftps://`` needs no ``ssl-force``)."""
    implicit = endpoint.tls is not None and endpoint.tls.mode == "implicit"
    return ("" if implicit else "set ftp:ssl-force true; ") + "set ftp:ssl-protect-data true;"


_LIBSSH2_PREFERENCE = ("ecdsa", "ssh-ed25519", "rsa")
"""The host key types curl's libssh2 asks for, first first: --hostpubsha256 must pin the key it gets."""


def _negotiated_by_curl(host_keys: Sequence[HostKeyInfo]) -> HostKeyInfo:
    def rank(key: HostKeyInfo) -> int:
        for position, prefix in enumerate(_LIBSSH2_PREFERENCE):
            if key.algorithm.startswith(prefix) or (prefix == "rsa" and "rsa" in key.algorithm):
                return position
        return len(_LIBSSH2_PREFERENCE)

    return min(host_keys, key=rank)
