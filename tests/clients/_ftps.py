"""FTPS clients (curl, lftp, ftplib, openssl s_client), as MAGDA's page and its users run them."""

from __future__ import annotations

import ftplib
import ssl
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mockpartners import AccountInfo, EndpointInfo, Partner
from mockpartners.outbound import ImplicitFTP, ImplicitReusingFTP, SessionReusingFTP

from ._ssh import curl, require


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
