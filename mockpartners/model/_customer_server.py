"""A server hosted by the customer ("Serveur client"), which Lucca's client connects to.

The Lucca help page "SFTP/FTPS", "Création d'un compte": besides the servers Lucca hosts, an account may be
on "Serveur client: serveur hébergé par vous. Vous devrez alors renseigner les informations du serveur": "le
nom de l'hôte et le type de connexion", then "le login et le mot de passe (ou la clé RSA selon votre type de
connexion et votre méthode d'authentification)". Lucca then connects out to that server to drop its exports
and fetch the files it imports. The page says nothing more: the port, how the server is trusted, the upload
mode, passive mode and the timeout are ours (docs/partners/lucca-client.md says why each default).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ._types import DurationField, Model, checked_password
from .duration import Duration

__all__ = ["DEFAULT_PORTS", "ConnectionType", "CustomerServer", "UploadMode"]

ConnectionType = Literal["sftp", "ftps", "ftpes"]
"""The page's "types de connexion": SFTP, FTPS (implicit TLS from the first byte) and FTPES (explicit TLS,
``AUTH TLS`` on a plain connection)."""
UploadMode = Literal["direct", "temporary"]

_SSH_TYPE, *_TLS_TYPES = get_args(ConnectionType)
"""Lucca's types named once, in the Literal: below the protocol adapters nothing spells a protocol's name
(tests/protocols/test_registry.py), and these are the client's types, not the endpoints' protocols."""
DEFAULT_PORTS: dict[ConnectionType, int] = dict(zip(get_args(ConnectionType), (22, 990, 21), strict=True))
"""Each type's registered port: SSH 22, FTPS implicit 990 (RFC 4217's "ftps"), FTP 21 for ``AUTH TLS``."""

_MAXIMUM_TIMEOUT = Duration(seconds=3600)
_URL_SCHEMES = ("sftp://", "ftps://", "ftpes://", "ftp://", "ssh://")


class CustomerServer(Model):
    """Where and how Lucca's client logs in to a customer's server: one login, by password or by key."""

    host: str = Field(min_length=1, max_length=253)
    port: int
    """The server's port; when not given, the type's usual one (:data:`DEFAULT_PORTS`)."""
    type: ConnectionType
    login: str = Field(min_length=1, max_length=256)
    password: str | None = None
    private_key: str | None = None
    """Path of the private key (OpenSSH or PEM) Lucca's client logs in with: SFTP only."""
    host_key: str | None = None
    """The OpenSSH public key line the SFTP server must present; none: trusted on first use, then pinned."""
    ca_file: str | None = None
    """A PEM bundle of the CAs that may issue an FTPS server's certificate; none: the system's trust store."""
    timeout: DurationField = Duration(seconds=30)
    """How long each step (connecting, the handshake, a command, a transfer's silence) may take."""
    upload: UploadMode = "direct"
    """``direct``: written under its final name; ``temporary``: written as ``NAME.tmp``, then renamed."""
    passive: bool = True
    """FTP data connections opened by the client (PASV), as through any firewall or NAT; FTPS only."""

    @model_validator(mode="before")
    @classmethod
    def _usual_port(cls, data: Any) -> Any:
        """No port given: the type's registered one (22, 990, 21); with a type we do not know, any port,
        so that the type's error is the only one."""
        if isinstance(data, dict) and data.get("port") is None:
            ports: dict[Any, int] = DEFAULT_PORTS
            return {**data, "port": ports.get(data.get("type"), 22)}
        return data

    @field_validator("host")
    @classmethod
    def _bare_host(cls, host: str) -> str:
        """A host name or an address alone: people paste URLs and ``host:port``."""
        host = host.strip()
        if host.lower().startswith(_URL_SCHEMES):
            raise ValueError(f"{host!r}: give the host name alone, without sftp:// or ftps:// (type says it)")
        if not host or any(not char.isprintable() or char.isspace() or char in "/@" for char in host):
            raise ValueError(f"{host!r}: expected a host name or an IP address, like sftp.example.com")
        if host.count(":") == 1:
            raise ValueError(f"{host!r}: give the port in port, not after the host name")
        return host

    @field_validator("port")
    @classmethod
    def _port_range(cls, port: int) -> int:
        if not 1 <= port <= 65535:
            raise ValueError(f"{port}: expected a port from 1 to 65535")
        return port

    @field_validator("login")
    @classmethod
    def _one_line_login(cls, login: str) -> str:
        if not login.isprintable():
            raise ValueError("a login cannot hold control characters (FTP sends it on one line)")
        return login

    @field_validator("password")
    @classmethod
    def _one_line_password(cls, password: str | None) -> str | None:
        if password is not None:
            return checked_password(password, "give the password, or a private key instead (SFTP)")
        return password

    @field_validator("private_key")
    @classmethod
    def _key_over_sftp_only(cls, private_key: str | None, info: ValidationInfo) -> str | None:
        """The page: a password "ou la clé RSA selon votre type de connexion": keys are an SSH login."""
        if private_key is None:
            return None
        if not private_key.strip():
            raise ValueError("an empty path: give the private key's file, or a password instead")
        kind = info.data.get("type")
        if kind in _TLS_TYPES:
            raise ValueError(
                f"{str(kind).upper()} logs in with a password: a private key (RSA key) is for SFTP only; "
                "give a password, or choose type sftp"
            )
        if info.data.get("password") is not None:
            raise ValueError("give a password or a private key, not both: Lucca logs in with one of them")
        return private_key

    @field_validator("host_key")
    @classmethod
    def _ssh_public_key(cls, host_key: str | None, info: ValidationInfo) -> str | None:
        if host_key is None:
            return None
        if info.data.get("type") in _TLS_TYPES:
            raise ValueError("host_key is for SFTP: an FTPS server is checked by its certificate (ca_file)")
        return _public_key_line(host_key)

    @field_validator("ca_file")
    @classmethod
    def _tls_only(cls, ca_file: str | None, info: ValidationInfo) -> str | None:
        if ca_file is None:
            return None
        if info.data.get("type") == _SSH_TYPE:
            raise ValueError("ca_file is for FTPS and FTPES: an SFTP server is checked by its host key")
        if not ca_file.strip():
            raise ValueError("an empty path: give the PEM file of the CA, or leave ca_file out")
        return ca_file

    @field_validator("timeout")
    @classmethod
    def _reasonable_timeout(cls, timeout: Duration) -> Duration:
        if timeout.is_zero or timeout > _MAXIMUM_TIMEOUT:
            raise ValueError(f"{timeout}: expected a timeout above zero and at most 1h, like 30s")
        return timeout

    @field_validator("passive")
    @classmethod
    def _ftp_only(cls, passive: bool, info: ValidationInfo) -> bool:
        if not passive and info.data.get("type") == _SSH_TYPE:
            raise ValueError("passive is for FTPS and FTPES: SFTP has no separate data connections")
        return passive

    @model_validator(mode="after")
    def _some_credential(self) -> CustomerServer:
        if self.password is None and self.private_key is None:
            how = "a password or a private key" if self.type == _SSH_TYPE else "a password"
            raise ValueError(f"give {how}: Lucca's client cannot log in as {self.login!r} without one")
        return self

    @property
    def address(self) -> str:
        """``host:port`` as messages show it (``[::1]:22`` for an IPv6 address)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _public_key_line(text: str) -> str:
    """``ssh-ed25519 AAAA... comment`` checked for its shape: the base64 blob decodes and names the same
    algorithm; the key itself is parsed when Lucca's client connects."""
    line = text.strip()
    parts = line.split()
    if "\n" in line or len(parts) < 2:
        raise ValueError("expected one OpenSSH public key line, like 'ssh-ed25519 AAAAC3Nza... host'")
    algorithm, blob = parts[0], parts[1]
    try:
        data = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{algorithm} {blob[:12]}...: the key's base64 text is damaged") from None
    length = int.from_bytes(data[:4], "big")
    if data[4 : 4 + length].decode("ascii", "replace") != algorithm:
        raise ValueError(f"{algorithm}: the key's data is not a {algorithm} key (copied from another line?)")
    return line
