"""The profile schema: what a partner is made of, as frozen pydantic models, and its cross-checks.

Loading (YAML, ``extends``, ``--set``, error messages with lines) is in :mod:`mockpartners.model.loading`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, field_validator, model_validator

from ._access import Account, Allowlist, FailedLogins, Limits, Paths, access_errors
from ._endpoint import Credential, EndpointModel
from ._types import AuthMethod, DurationField, KeyType, Location, Right
from ._types import Model as _Model
from .duration import Duration

__all__ = [
    "ENDPOINT_MODELS",
    "ENDPOINT_PROTOCOLS",
    "SFTP_EXTENSIONS",
    "Account",
    "Allowlist",
    "AnswerTemplate",
    "Answers",
    "ContractRule",
    "Credential",
    "Endpoint",
    "EndpointModel",
    "EventMatcher",
    "FailedLogins",
    "Folder",
    "FtpsEndpoint",
    "Limits",
    "Paths",
    "Pickup",
    "Profile",
    "Right",
    "SftpEndpoint",
    "consistency_errors",
]

TEMPLATE_VARIABLES = frozenset(
    {
        "name",
        "stem",
        "suffix",
        "account",
        "folder",
        "answer_folder",
        "partner",
        "received_at",
        "processed_at",
        "date",
        "time",
        "size",
        "sha256",
        "request_id",
        "reason",
    }
)
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
    auth_accepted: tuple[AuthMethod, ...] = ("publickey",)
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


Endpoint = Annotated[SftpEndpoint | FtpsEndpoint, Field(discriminator="protocol")]
"""Adding a protocol: its model here, its adapter in ``mockpartners.protocols``' registry."""
ENDPOINT_MODELS: tuple[type[EndpointModel], ...] = get_args(get_args(Endpoint)[0])
ENDPOINT_PROTOCOLS = tuple(model.protocol_name() for model in ENDPOINT_MODELS)


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


class AnswerTemplate(_Model):
    """Name and content of a file the partner writes, with ``${name}``-style variables."""

    name: str = Field(min_length=1)
    content: str

    @field_validator("name", "content")
    @classmethod
    def _known_variables(cls, text: str) -> str:
        template = string.Template(text)
        if not template.is_valid():
            raise ValueError("malformed ${...} placeholder (write $$ for a literal dollar)")
        unknown = set(template.get_identifiers()) - TEMPLATE_VARIABLES
        if unknown:
            known = ", ".join(sorted(TEMPLATE_VARIABLES))
            raise ValueError(f"unknown variable(s) {', '.join(sorted(unknown))}; known: {known}")
        return text


class Answers(_Model):
    accepted: AnswerTemplate
    rejected: AnswerTemplate | None = None
    invalid: AnswerTemplate | None = None


class Pickup(_Model):
    """How the partner picks up requests from inboxes and answers them, whatever the protocol."""

    inboxes: dict[str, str] = Field(min_length=1)
    name_pattern: str = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    temporary_suffixes: tuple[str, ...] = (".filepart", ".part", ".partial", ".tmp")
    unmatched: Literal["reject", "ignore"] = "reject"
    rejection_reason: str = "incorrect file name"
    direct_uploads: Literal["allowed", "violation", "harsh"] = "allowed"
    copy_to: str | None = None
    after_pickup: Literal["remove", "keep"] = "remove"
    repeated_answers: Literal["number", "replace"] = "number"
    """A request sent again before its answer was fetched: "number" keeps the first answer and names the
    new one NAME.2.EXT (then .3...); "replace" overwrites it."""
    delay: DurationField = Duration()
    answers: Answers

    @field_validator("name_pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None
        return pattern


class EventMatcher(_Model):
    """Journal events a contract rule looks at: all given conditions must hold."""

    kinds: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    outcomes: tuple[Literal["ok", "refused", "failed"], ...] = ()
    detail: dict[str, tuple[str | int | bool, ...]] = {}


class ContractRule(_Model):
    """One thing a well-behaved client does (or never does), checked over the journal."""

    description: str
    check: Literal["forbidden", "uploads-only-in", "fetched-then-removed", "fetched-then-moved"]
    match: tuple[EventMatcher, ...] = ()
    folders: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    exercised_by: tuple[EventMatcher, ...] = ()
    severity: Literal["error", "advice"] = "error"
    reference: str = ""


class Profile(_Model):
    """Everything that makes one partner: endpoints, accounts, folders and partner-side behaviour."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    real_host: str = ""
    source: str = ""
    endpoints: dict[str, Endpoint] = Field(min_length=1)
    username_pattern: str | None = None
    accounts: tuple[Account, ...] = Field(min_length=1)
    allowlist: Allowlist = Allowlist()
    failed_logins: FailedLogins = FailedLogins()
    limits: Limits = Limits()
    paths: Paths = Paths()
    certificates: CertificateNames = CertificateNames()
    wrong_key: KeyType | None = None
    folders: dict[str, Folder]
    retention_check: DurationField = Duration(seconds=3600)
    pickup: Pickup | None = None
    contract: dict[str, ContractRule] = {}

    def folder_rule(self, folder: str) -> Folder:
        """Rights of ``folder`` (a home-relative path, "" or "/" for the home): the nearest declared one."""
        parts = [part for part in folder.strip("/").split("/") if part]
        while parts:
            declared = self.folders.get("/".join(parts))
            if declared is not None:
                return declared
            parts.pop()
        return self.folders.get("/", Folder())

    def uses(self, protocol: str) -> bool:
        return any(endpoint.protocol == protocol for endpoint in self.endpoints.values())

    def needs(self, credential: Credential) -> bool:
        """Whether an endpoint needs these credentials made (see ``EndpointModel.credentials``)."""
        return any(credential in endpoint.credentials for endpoint in self.endpoints.values())


def consistency_errors(profile: Profile) -> Iterable[tuple[Location, str]]:
    """Problems no single field shows: user names, folders that pickup names, allowlists."""
    yield from access_errors(profile)
    for folder in profile.folders:
        if folder != "/" and (folder.startswith("/") or ".." in folder.split("/") or folder.endswith("/")):
            yield (
                ("folders", folder),
                "folder paths are relative to the home, like IN or cache/to_vip ('/' is the home)",
            )
    if profile.pickup is not None:
        for inbox, answer_folder in profile.pickup.inboxes.items():
            for folder in (inbox, answer_folder):
                if folder not in profile.folders:
                    yield ("pickup", "inboxes", inbox), f"folder {folder!r} is not declared under folders"
        if profile.pickup.copy_to is not None and profile.pickup.copy_to not in profile.folders:
            yield ("pickup", "copy_to"), f"folder {profile.pickup.copy_to!r} is not declared under folders"
    for name, rule in profile.contract.items():
        for location, message in _contract_errors(profile, rule):
            yield ("contract", name, *location), message


def _contract_errors(profile: Profile, rule: ContractRule) -> Iterable[tuple[Location, str]]:
    """A rule that names no folder, or a folder the profile does not have, would never be exercised."""
    needs = {
        "forbidden": ("match",),
        "uploads-only-in": ("folders",),
        "fetched-then-removed": ("folders",),
        "fetched-then-moved": ("folders", "to"),
    }[rule.check]
    for key in needs:
        if not getattr(rule, key):
            yield (key,), f"a {rule.check} rule needs {key}"
    matchers = [("match", index, matcher) for index, matcher in enumerate(rule.match)]
    matchers += [("exercised_by", index, matcher) for index, matcher in enumerate(rule.exercised_by)]
    named: list[tuple[Location, str]] = [
        ((key,), folder) for key in ("folders", "to") for folder in getattr(rule, key)
    ]
    named += [
        ((key, index, "folders"), folder) for key, index, matcher in matchers for folder in matcher.folders
    ]
    for location, folder in named:
        if folder not in profile.folders:
            yield location, f"folder {folder!r} is not declared under folders"
