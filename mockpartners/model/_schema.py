"""The profile schema: what a partner is made of, as frozen pydantic models, and its cross-checks.

Loading (YAML, ``extends``, ``--set``, error messages with lines) is in :mod:`mockpartners.model.loading`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, field_validator, model_validator

from ._access import Account, Allowlist, FailedLogins, Limits, Paths, access_errors, method_errors
from ._aireppnet import portal_errors
from ._contract import ContractRule, EventMatcher, contract_errors
from ._customer_server import CustomerServer
from ._endpoint import Credential, EndpointModel
from ._http import HttpEndpoint
from ._mail import AttachmentRules, Pop3Endpoint, SmtpEndpoint
from ._presets import AccountPreset, preset_errors, with_preset
from ._processors import (
    PROCESSOR_KINDS,
    Answers,
    AnswerTemplate,
    CustomerServerExchange,
    Deposits,
    Export,
    FileStates,
    MailIntake,
    Pickup,
    ProcessorSpec,
    Retention,
    answer_folder_errors,
    processor_errors,
    processor_specs,
)
from ._records import Column, Records
from ._remote_folders import RemoteFolder, remote_folder_errors
from ._types import AccountAuth, AuthMethod, DurationField, IntervalField, KeyType, Location, Right
from ._types import Model as _Model
from .duration import Duration

__all__ = [
    "ENDPOINT_MODELS",
    "ENDPOINT_PROTOCOLS",
    "PROCESSOR_KINDS",
    "SFTP_EXTENSIONS",
    "Account",
    "AccountPreset",
    "Allowlist",
    "AnswerTemplate",
    "Answers",
    "AttachmentRules",
    "Column",
    "ContractRule",
    "Credential",
    "CustomerServer",
    "CustomerServerExchange",
    "Deposits",
    "Endpoint",
    "EndpointModel",
    "EventMatcher",
    "Export",
    "FailedLogins",
    "FileStates",
    "Folder",
    "FtpsEndpoint",
    "HttpEndpoint",
    "Limits",
    "MailIntake",
    "Paths",
    "Pickup",
    "Pop3Endpoint",
    "ProcessorSpec",
    "Profile",
    "Records",
    "RemoteFolder",
    "Retention",
    "Right",
    "SftpEndpoint",
    "SmtpEndpoint",
    "account_errors",
    "consistency_errors",
    "folder_table",
    "login_methods",
    "nearest_folder",
]

SftpExtension = Literal[
    "posix-rename@openssh.com",
    "statvfs@openssh.com",
    "fstatvfs@openssh.com",
    "fsync@openssh.com",
    "lsetstat@openssh.com",
    "limits@openssh.com",
    "hardlink@openssh.com",
    "copy-data",
]
SFTP_EXTENSIONS: tuple[SftpExtension, ...] = get_args(SftpExtension)
"""SFTP extensions a profile may announce; the first six are the default (OpenSSH's sftp-server announces
these and more: the guides name none, and these are what WinSCP, OpenSSH and paramiko use)."""


class SftpEndpoint(EndpointModel):
    """An SSH/SFTP service."""

    credentials: ClassVar[frozenset[Credential]] = frozenset({"ssh"})
    protocol: Literal["sftp"]
    port: int = Field(ge=1, le=65535)
    unprivileged_port: int | None = Field(default=None, ge=1024, le=65535)
    host_keys: tuple[KeyType, ...] = ("rsa-4096", "ed25519")
    auth_offered: tuple[AuthMethod, ...] = ("publickey", "password", "keyboard-interactive")
    auth_accepted: tuple[AuthMethod, ...] = ("publickey", "password", "keyboard-interactive")
    """Methods that can succeed on this endpoint, whatever the account (ONSS: keys only); each account
    says which of them it may use (its ``auth``)."""
    banner: str | None = None
    extensions: tuple[SftpExtension, ...] = SFTP_EXTENSIONS[:6]
    """The SFTP extensions the server announces; any other is refused with OP_UNSUPPORTED."""

    def host_key_types(self) -> tuple[str, ...]:
        return self.host_keys


class FtpsEndpoint(EndpointModel):
    """An FTP service over TLS, logging in by client certificate: explicit TLS (``AUTH TLS`` on the control
    port, "FTPES", port 21) or implicit TLS (the handshake at connect, before the greeting, port 990)."""

    credentials: ClassVar[frozenset[Credential]] = frozenset({"tls"})
    protocol: Literal["ftps"]
    tls: Literal["explicit", "implicit"] = "explicit"
    port: int = Field(default=21, ge=1, le=65535)
    unprivileged_port: int | None = Field(default=2121, ge=1024, le=65535)
    server_names: tuple[str, ...] = ()
    tls_minimum: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    tls_handshake_timeout: DurationField = Duration(seconds=30)
    """Implicit TLS: how long the server waits for the client's handshake before it closes the connection
    (a plain FTP client there waits for a greeting that never comes, and would hold its connection)."""
    tls_before_login: bool = True
    protected_data: bool = True
    client_certificate: Literal["required", "none"] = "required"
    session_reuse_required: bool = False
    site_chmod: bool = True
    """Whether ``SITE CHMOD`` exists (with the ``setstat`` right, like ``MFMT``): servers on Windows have no
    Unix modes and answer ``500``."""
    passive_ports: str = "40000-42000"
    passive_address: str | None = None
    failed_login_delay: DurationField = Duration(seconds=1)
    unlisted_address: Literal["close", "silence"] = "close"
    banner: str = "FTP server ready."

    @model_validator(mode="before")
    @classmethod
    def _implicit_ports(cls, data: Any) -> Any:
        """Implicit TLS has its own nominal port, 990 (9990 when not root), unless the profile gives one."""
        if isinstance(data, dict) and data.get("tls") == "implicit":
            return {"port": 990, "unprivileged_port": 9990, **data}
        return data

    @field_validator("tls_handshake_timeout")
    @classmethod
    def _some_time(cls, value: Duration) -> Duration:
        if value.total_seconds() <= 0:
            raise ValueError("expected a duration above zero, like 30s (no client could finish a handshake)")
        return value

    @field_validator("passive_ports")
    @classmethod
    def _port_range(cls, value: str) -> str:
        low, separator, high = value.partition("-")
        if not (separator and low.strip().isdigit() and high.strip().isdigit()):
            raise ValueError("expected a port range like 40000-42000")
        if not 1024 <= int(low) <= int(high) <= 65535:
            raise ValueError("expected 1024 <= first <= last <= 65535")
        return f"{int(low)}-{int(high)}"

    def passive_range(self) -> range:
        low, high = self.passive_ports.split("-")
        return range(int(low), int(high) + 1)

    def certificate_names(self) -> tuple[str, ...]:
        return self.server_names


Endpoint = Annotated[
    SftpEndpoint | FtpsEndpoint | HttpEndpoint | SmtpEndpoint | Pop3Endpoint, Field(discriminator="protocol")
]
"""Adding a protocol: its model here, its adapter in ``mockpartners.protocols``' registry."""
ENDPOINT_MODELS: tuple[type[EndpointModel], ...] = get_args(get_args(Endpoint)[0])
ENDPOINT_PROTOCOLS = tuple(model.protocol_name() for model in ENDPOINT_MODELS)


def login_methods(endpoint: EndpointModel) -> frozenset[AccountAuth]:
    """How clients can log in on an endpoint: SSH methods it both offers and accepts; on FTPS the client
    certificate where one is required (its CN is the user name, the password is not read: MAGDA), the
    password otherwise; on HTTP a password (the XFB gateway's ``user`` and ``password`` in the query), on
    SMTP and POP3 too (AUTH PLAIN or LOGIN, USER and PASS)."""
    if isinstance(endpoint, SftpEndpoint):
        return frozenset(endpoint.auth_offered) & frozenset(endpoint.auth_accepted)
    if not isinstance(endpoint, FtpsEndpoint):
        return frozenset({"password"})
    return frozenset({"certificate" if endpoint.client_certificate == "required" else "password"})


class CertificateNames(_Model):
    """How a TLS partner's certificate authorities are named (trustme names CAs by organisation and unit)."""

    organization: str = "mockpartners"
    server_root_ca: str = "Root CA"
    server_issuing_ca: str = "Issuing CA"
    client_ca: str = "Client CA"
    server_organization: str = "mockpartners"


class Folder(_Model):
    """Rights of the account inside a folder of its home (``/`` is the home itself), and its retention."""

    rights: tuple[Right, ...] = ()
    retention: DurationField | None = None
    description: str = ""


class Profile(_Model):
    """Everything that makes one partner: endpoints, accounts, folders and partner-side behaviour."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    real_host: str = ""
    source: str = ""
    endpoints: dict[str, Endpoint] = Field(min_length=1)
    username_pattern: str | None = None
    accounts: tuple[Account, ...] = Field(min_length=1)
    presets: dict[str, AccountPreset] = {}
    """Defaults an account takes from the preset it names (its ``preset``)."""
    allowlist: Allowlist = Allowlist()
    failed_logins: FailedLogins = FailedLogins()
    limits: Limits = Limits()
    paths: Paths = Paths()
    certificates: CertificateNames = CertificateNames()
    wrong_key: KeyType | None = None
    folders: dict[str, Folder]
    retention_check: IntervalField = Duration(seconds=3600)
    pickup: Pickup | None = None
    """One pickup processor (shorthand for a ``kind: pickup`` item of ``processors``)."""
    processors: tuple[ProcessorSpec, ...] = ()
    contract: dict[str, ContractRule] = {}

    @model_validator(mode="before")
    @classmethod
    def _apply_presets(cls, data: Any) -> Any:
        """Accounts made from a preset take its defaults (before validation: they are checked as written)."""
        if isinstance(data, dict) and isinstance(data.get("presets"), dict):
            accounts = data.get("accounts")
            if isinstance(accounts, list | tuple):
                presets = data["presets"]
                applied = [
                    with_preset(item, presets) if isinstance(item, dict) else item for item in accounts
                ]
                return {**data, "accounts": applied}
        return data

    def folder_rule(self, folder: str) -> Folder:
        """Rights of ``folder`` (a home-relative path, "" or "/" for the home): the nearest declared one."""
        return nearest_folder(self.folders, folder)

    def processor_specs(self) -> tuple[ProcessorSpec, ...]:
        """Every processor the partner runs, declared or implied (see :mod:`._processors`)."""
        return processor_specs(self)

    def inbox_folders(self) -> tuple[str, ...]:
        """The folders whose arriving files a processor takes (the upload folders)."""
        return tuple(folder for spec in self.processor_specs() for folder in spec.inbox_folders())

    def needs(self, credential: Credential) -> bool:
        """Whether an endpoint needs these credentials made (see ``EndpointModel.credentials``)."""
        return any(credential in endpoint.credentials for endpoint in self.endpoints.values())


def nearest_folder(folders: Mapping[str, Folder], folder: str) -> Folder:
    """The rule of ``folder`` in a folder table: its own, or that of the nearest declared folder above it."""
    parts = [part for part in folder.strip("/").split("/") if part]
    while parts:
        declared = folders.get("/".join(parts))
        if declared is not None:
            return declared
        parts.pop()
    return folders.get("/", Folder())


def folder_table(profile: Profile, account: Account) -> dict[str, Folder]:
    """The folders of one account's home: the profile's, then its remote folders, and the folders on the
    way to them (listable, so that a client can walk down to ``/dossier1/dossier2/dossier3``)."""
    table = dict(profile.folders)
    if account.server is not None:  # its remote folders are on the customer's server, not here
        return table
    for remote in account.remote_folders:
        parts = remote.relative.split("/")
        for depth in range(1, len(parts)):
            table.setdefault("/".join(parts[:depth]), Folder(rights=("list",)))
        table[remote.relative] = Folder(rights=remote.granted(), description=remote.name)
    return table


def consistency_errors(profile: Profile) -> Iterable[tuple[Location, str]]:
    """Problems no single field shows: user names, folders that processors name, allowlists, accounts that
    cannot log in anywhere."""
    yield from access_errors(profile)
    for index, account in enumerate(profile.accounts):
        for location, message in account_errors(profile, account):
            yield ("accounts", index, *location), message
    for folder in profile.folders:
        if folder != "/" and (folder.startswith("/") or ".." in folder.split("/") or folder.endswith("/")):
            yield (
                ("folders", folder),
                "folder paths are relative to the home, like IN or cache/to_vip ('/' is the home)",
            )
    yield from processor_errors(profile)
    yield from portal_errors(profile)
    for name, rule in profile.contract.items():
        for location, message in contract_errors(rule, profile.folders):
            yield ("contract", name, *location), message


def account_errors(profile: Profile, account: Account) -> Iterable[tuple[Location, str]]:
    """Endpoints an account names that do not exist, methods it names without their credential, and an
    account that can log in on none of the endpoints it may use (Lucca's "an account that allows no
    connection type")."""
    keys = bool(account.sample_key or account.authorized_keys)
    problems = list(preset_errors(account.preset, profile.presets))
    problems += [
        (("remote_folders", *where), text) for where, text in remote_folder_errors(account.remote_folders)
    ]
    problems += list(answer_folder_errors(profile, account))
    if account.server is not None:  # hosted by the customer: it logs in there, never here
        yield from problems
        return
    problems += list(
        method_errors(
            account.auth, keys=keys, password=bool(account.password), certificate=account.certificate
        )
    )
    known = ", ".join(profile.endpoints)
    for index, name in enumerate(account.endpoints or ()):
        if name not in profile.endpoints:
            problems.append((("endpoints", index), f"no endpoint {name!r} (the profile has {known})"))
    yield from problems
    if problems:
        return
    methods = set(account.methods())
    accepted = {
        name: login_methods(profile.endpoints[name]) for name in account.endpoints or profile.endpoints
    }
    if not any(methods & here for here in accepted.values()):
        offered = "; ".join(
            f"{name} accepts {', '.join(sorted(here)) or 'nothing'}" for name, here in accepted.items()
        )
        yield (
            (),
            (
                f"{account.username!r} can log in on no endpoint it may use: it logs in by "
                f"{', '.join(sorted(methods))}; {offered}"
            ),
        )
