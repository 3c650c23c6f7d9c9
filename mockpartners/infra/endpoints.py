"""What a running suite tells its clients: ``STATE_DIR/endpoints.json`` and the same as Python objects.

Scripts in any language read the JSON; Python tests get these value objects from the fixtures, from a
running suite, or from ``SuiteInfo.load(path)`` when the suite runs elsewhere (another process, a container).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.errors import StateError
from .atomic import write_atomically

if TYPE_CHECKING:
    from .credentials import TlsCredentials

__all__ = [
    "AccountInfo",
    "AdminInfo",
    "CertificateInfo",
    "EndpointInfo",
    "HostKeyInfo",
    "KeyInfo",
    "OutboxInfo",
    "PartnerInfo",
    "RemoteFolderInfo",
    "SuiteInfo",
    "TlsInfo",
]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class HostKeyInfo:
    algorithm: str
    bits: int | None
    sha256: str
    md5: str
    public_key_file: str


@dataclass(frozen=True)
class TlsInfo:
    """How a TLS endpoint presents itself: trust ``ca_file`` (the root) to verify it."""

    ca_file: str
    certificate_file: str
    certificate_sha256: str
    issuer: str
    minimum_version: str
    passive_ports: str
    client_certificate: str
    mode: str = "explicit"
    """``explicit`` (``AUTH TLS`` on a plain connection: curl ``ftp://`` with ``--ssl-reqd``) or ``implicit``
    (TLS from the first byte: curl ``ftps://``)."""

    @classmethod
    def served(
        cls, credentials: TlsCredentials, minimum: str, passive_ports: str, client_certificate: str, mode: str
    ) -> TlsInfo:
        """The endpoint's TLS as the partner's credentials serve it now (its root, its certificate)."""
        server = credentials.server
        root = str(credentials.root.certificate_path)
        return cls(root, str(server.certificate_path), server.sha256, server.issuer, minimum, passive_ports,
                   client_certificate, mode)  # fmt: skip


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    protocol: str
    host: str
    port: int
    nominal_port: int
    host_keys: tuple[HostKeyInfo, ...] = ()
    known_hosts_file: str | None = None
    tls: TlsInfo | None = None
    entry: str = "/"
    """Where a client starts on a web application (the XFB gateway: ``/depot-xt?user={user}&password=
    {password}``, its guide's address, the account's credentials in the query)."""
    scheme: str = ""
    """The URL scheme clients use when it is not the protocol's name (HTTP over TLS: ``https``)."""

    def url(self, username: str | None = None, path: str = "/") -> str:
        user = f"{username}@" if username else ""
        return f"{self.scheme or self.protocol}://{user}{self.host}:{self.port}{path}"


@dataclass(frozen=True)
class KeyInfo:
    private_key: str
    public_key: str
    fingerprint_sha256: str
    passphrase: str | None = None
    passphrase_file: str | None = None


@dataclass(frozen=True)
class CertificateInfo:
    """A client certificate: PEM files, and the same as PKCS#12 (modern, and legacy RC2 for training)."""

    common_name: str
    certificate: str
    key: str
    sha256: str
    not_after: str
    issuer: str
    pkcs12: str | None = None
    pkcs12_password: str | None = None
    legacy_pkcs12: str | None = None


@dataclass(frozen=True)
class RemoteFolderInfo:
    name: str
    path: str
    use: str


@dataclass(frozen=True)
class AccountInfo:
    username: str
    home: str
    description: str = ""
    key: KeyInfo | None = None
    """The sample key pair, while the account accepts it."""
    certificate: CertificateInfo | None = None
    ip_allowlist: tuple[str, ...] | None = None
    password: str | None = None
    """The sample password (given in the profile, generated, or set while serving)."""
    auth: tuple[str, ...] = ()
    """How it may log in: ``publickey``, ``password``, ``keyboard-interactive``, ``certificate``."""
    endpoints: tuple[str, ...] = ()
    """The names of the endpoints it may use."""
    public_keys: tuple[str, ...] = ()
    """The public keys (OpenSSH lines) it accepts."""
    name: str = ""
    """What the partner's users call it (Lucca's account name)."""
    remote_folders: tuple[RemoteFolderInfo, ...] = ()
    """Its own folders (Lucca's "dossiers distants"): name, path on the server, use."""
    server: str | None = None
    """Lucca's "Serveur client": the customer's server the partner connects to (``TYPE://LOGIN@HOST:PORT``)."""

    @property
    def private_key(self) -> Path:
        """Path of the sample private key (the account must have one)."""
        if self.key is None:
            raise StateError(f"account {self.username} has no sample key in the state directory")
        return Path(self.key.private_key)

    @property
    def passphrase(self) -> str | None:
        return self.key.passphrase if self.key else None


@dataclass(frozen=True)
class PartnerInfo:
    name: str
    title: str
    real_host: str
    files: str
    endpoints: dict[str, EndpointInfo] = field(default_factory=dict)
    accounts: tuple[AccountInfo, ...] = ()
    wrong_key: KeyInfo | None = None
    training_certificates: dict[str, CertificateInfo] = field(default_factory=dict)

    def endpoint(self, name: str | None = None) -> EndpointInfo:
        """The endpoint called ``name``, or the first one."""
        if name is None:
            return next(iter(self.endpoints.values()))
        try:
            return self.endpoints[name]
        except KeyError:
            raise StateError(
                f"{self.name} has no endpoint {name!r} (it has {', '.join(self.endpoints)})"
            ) from None

    def account(self, username: str | None = None, *, passphrase: bool | None = None) -> AccountInfo:
        """The account called ``username``, or the first whose key has (or lacks) a passphrase."""
        for account in self.accounts:
            if username is not None and account.username != username:
                continue
            if passphrase is not None and (account.passphrase is not None) != passphrase:
                continue
            return account
        raise StateError(
            f"{self.name} has no account matching username={username!r} passphrase={passphrase!r}"
        )


@dataclass(frozen=True)
class AdminInfo:
    """The control plane of a running suite: its base URL, its OpenAPI document, its token if any."""

    url: str
    openapi: str
    token_file: str | None = None

    @property
    def token(self) -> str | None:
        return Path(self.token_file).read_text(encoding="utf-8").strip() if self.token_file else None


@dataclass(frozen=True)
class OutboxInfo:
    """The suite's mail outbox: its SMTP sink (any SMTP client may send to it), where it keeps the mails,
    and the relay partner mail also goes to (``HOST:PORT``, None: none)."""

    host: str
    port: int
    directory: str
    relay: str | None = None


@dataclass(frozen=True)
class SuiteInfo:
    state_dir: str
    journal: str
    status: str
    pid: int
    partners: dict[str, PartnerInfo] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    admin: AdminInfo | None = None
    outbox: OutboxInfo | None = None

    def __getitem__(self, name: str) -> PartnerInfo:
        try:
            return self.partners[name]
        except KeyError:
            raise StateError(
                f"no partner {name!r} in this suite (it has {', '.join(self.partners)})"
            ) from None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def write(self, path: Path) -> None:
        """Replace ``path`` atomically, so a reader never sees half a file; readable by this user only, as
        it holds passphrases and PKCS#12 passwords."""
        write_atomically(path, self.to_json().encode(), mode=0o600)

    @classmethod
    def load(cls, path: str | Path) -> SuiteInfo:
        """Read an ``endpoints.json`` written by ``mockpartners up`` (or a container of it)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StateError(f"{path}: not a readable endpoints.json ({error})") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteInfo:
        partners = {name: _partner(value) for name, value in data["partners"].items()}
        admin = AdminInfo(**data["admin"]) if data.get("admin") else None
        outbox = OutboxInfo(**data["outbox"]) if data.get("outbox") else None
        return cls(
            data["state_dir"],
            data["journal"],
            data["status"],
            data["pid"],
            partners,
            data["format"],
            admin,
            outbox,
        )


def _key(data: dict[str, Any] | None) -> KeyInfo | None:
    return KeyInfo(**data) if data else None


def _certificate(data: dict[str, Any] | None) -> CertificateInfo | None:
    return CertificateInfo(**data) if data else None


def _endpoint(data: dict[str, Any]) -> EndpointInfo:
    tls = TlsInfo(**data["tls"]) if data.get("tls") else None
    return EndpointInfo(
        **{**data, "host_keys": tuple(HostKeyInfo(**key) for key in data["host_keys"]), "tls": tls}
    )


def _account(data: dict[str, Any]) -> AccountInfo:
    allowlist = data.get("ip_allowlist")
    return AccountInfo(
        **{
            **data,
            "key": _key(data["key"]),
            "certificate": _certificate(data.get("certificate")),
            "ip_allowlist": tuple(allowlist) if allowlist is not None else None,
            **{name: tuple(data.get(name, ())) for name in ("auth", "endpoints", "public_keys")},
            "remote_folders": tuple(RemoteFolderInfo(**folder) for folder in data.get("remote_folders", ())),
        }
    )


def _partner(data: dict[str, Any]) -> PartnerInfo:
    training = {
        name: CertificateInfo(**value) for name, value in data.get("training_certificates", {}).items()
    }
    return PartnerInfo(
        data["name"],
        data["title"],
        data["real_host"],
        data["files"],
        {name: _endpoint(value) for name, value in data["endpoints"].items()},
        tuple(_account(value) for value in data["accounts"]),
        _key(data["wrong_key"]),
        training,
    )
