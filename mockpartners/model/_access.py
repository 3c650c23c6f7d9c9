"""Who may come in and how much each may take: accounts, allowlists, failed-login bans and resource limits.

The partners' guides are silent on most limits; real servers have them (vsftpd's ``max_per_ip``, OpenSSH's
``MaxAuthTries``, quotas on shared hosts), and a double that runs for hours next to a browser needs them
too, so each is a profile setting with a default that no well-behaved client ever meets.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, ByteSize, Field, field_validator

from ._applications import ApplicationRoute
from ._customer_server import CustomerServer
from ._remote_folders import RemoteFolder
from ._types import AccountAuth, DurationField, KeyType, Location, Model, checked_password
from .duration import Duration

if TYPE_CHECKING:
    from ._schema import Profile

__all__ = [
    "Account",
    "Allowlist",
    "FailedLogins",
    "Limits",
    "Paths",
    "access_errors",
    "account_access_errors",
    "default_methods",
    "method_errors",
]


def _not_a_number(value: Any) -> Any:
    """YAML reads ``password: 1234`` as a number: say so, rather than "expected a string or a bool"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("write the password in quotes ('1234'): YAML reads it as a number")
    return value


class Account(Model):
    """A client account; credentials are generated in the state directory unless given here."""

    username: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=100)
    """What the partner's users call it (Lucca: the account's "nom", shown in its list of accounts)."""
    description: str = ""
    preset: str | None = None
    """The profile's ``presets`` entry it was made from (Lucca: "e-paye", "MPRH"): its defaults, already
    applied."""
    sample_key: KeyType | None = None
    passphrase: bool = False
    authorized_keys: tuple[str, ...] = ()
    certificate: bool = False
    password: Annotated[bool | str, BeforeValidator(_not_a_number)] = False
    """``true``: a sample password generated into the state directory (``accounts/USER/password``, 0600);
    a string: that very password (a sample credential: endpoints.json shows it)."""
    auth: tuple[AccountAuth, ...] | None = Field(default=None, min_length=1)
    """The methods it may log in by; by default those its credentials allow (see :meth:`methods`)."""
    endpoints: tuple[str, ...] | None = None
    """The names of the endpoints it may use (Lucca's connection types); by default all of them."""
    ip_allowlist: tuple[str, ...] | None = None
    remote_folders: tuple[RemoteFolder, ...] = ()
    """Folders of this account only, besides the profile's (Lucca's "dossiers distants")."""
    organisation: str = ""
    """Who the account is (the XFB gateway's collectivité: "Ville de ..."), for pages and mails."""
    mail: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    """Where the partner's notification mails to this account go (the XFB gateway's ordonnateur)."""
    applications: tuple[ApplicationRoute, ...] = ()
    """What it may deposit, and where (the XFB gateway: application reference and destination site)."""
    server: CustomerServer | None = None
    """Lucca's "Serveur client": the account lives on the customer's own server, which the partner connects
    to (``kind: customer-server``); its remote folders are paths there, and it never logs in here."""

    @field_validator("endpoints")
    @classmethod
    def _some_endpoint(cls, endpoints: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if endpoints is not None and not endpoints:
            raise ValueError("an account allows at least one connection type (endpoint); null: all of them")
        return endpoints

    @field_validator("password")
    @classmethod
    def _one_line(cls, password: bool | str) -> bool | str:
        """FTP sends the password on one command line, SSH as a string: no control characters."""
        if isinstance(password, str):
            return checked_password(password, "give one, or true to generate one")
        return password

    def methods(self) -> tuple[AccountAuth, ...]:
        """How it may log in: ``auth`` when given, else what its credentials allow, so that ONSS's key
        accounts log in by key only and MAGDA's certificate accounts by certificate only."""
        if self.auth is not None:
            return self.auth
        keys = bool(self.sample_key or self.authorized_keys)
        return default_methods(keys=keys, password=bool(self.password), certificate=self.certificate)

    @field_validator("username")
    @classmethod
    def _safe_component(cls, username: str) -> str:
        """The user name names the account's home and credentials folders: it must stay one folder name,
        whatever ``username_pattern`` allows."""
        if username in (".", "..") or username.startswith("."):
            raise ValueError("a user name cannot start with a dot (it names the account's home folder)")
        if any(char in "/\\\0" or unicodedata.category(char) in ("Cc", "Cf") for char in username):
            raise ValueError(
                "a user name cannot hold '/', '\\' or control characters (it names the account's home folder)"
            )
        return username


class Allowlist(Model):
    """The partner's rules for per-account IP allowlists."""

    max_addresses: int = Field(default=7, ge=1)
    ranges: bool = False
    why: str = ""


class FailedLogins(Model):
    """Protection against guessing, per client address: too many failed logins shut the address out.

    A failed login is a connection that was refused a login and has not (yet) succeeded, counted the
    moment it is refused, whatever the number of methods or keys it tried: clients that offer several keys
    before the right one are not punished, and a hundred connections failing at once are a hundred failures.
    A client certificate refused during the TLS handshake is a failed login too.
    """

    ban_after: int | None = Field(default=10, ge=1)
    within: DurationField = Duration(seconds=600)
    ban_for: DurationField = Duration(seconds=600)


class Limits(Model):
    """What one client may take of the partner, per endpoint, connection and account.

    The defaults are far above what any client of the guides needs, and far below what would exhaust a
    laptop or a shared CI runner.
    """

    connections_per_address: int = Field(default=50, ge=1)
    """Connections open at once from one client address, per endpoint (vsftpd's ``max_per_ip``)."""
    connections: int = Field(default=500, ge=1)
    """Connections open at once on one endpoint, from all addresses."""
    open_handles: int = Field(default=100, ge=1)
    """Files and folders one SFTP connection may hold open at once, all its channels together."""
    auth_attempts: int = Field(default=6, ge=1)
    """Authentication attempts per connection before it is closed (OpenSSH's ``MaxAuthTries``)."""
    storage_per_account: ByteSize = ByteSize(4 * 2**30)
    """Bytes an account's home may hold; beyond it writes get SFTP status 4 or FTP 552."""
    files_per_account: int = Field(default=10_000, ge=1)
    """Files and folders an account's home may hold."""
    disk_reserve: ByteSize | None = None
    """Space always left free on the state directory's file system: writes that would eat into it are
    refused as "disk full", so the journal and the host never run out. By default 1 GiB, or a tenth of the
    file system when it is smaller than 10 GiB (a tmpfs in CI)."""


class Paths(Model):
    """How the server reads the paths clients send: case and separators (the guides show what they accept)."""

    case_sensitive: bool = True
    """False: ``From_vip`` reaches ``from_vip``, as on a Windows-hosted server."""
    backslash_separator: bool = False
    """True: ``cache\\to_vip`` is ``cache/to_vip``, as on a Windows-hosted server."""


def default_methods(*, keys: bool, password: bool, certificate: bool) -> tuple[AccountAuth, ...]:
    """The methods an account's credentials allow: a key, a password (typed, or at a keyboard-interactive
    prompt), a client certificate."""
    methods: list[AccountAuth] = ["publickey"] if keys else []
    if password:
        methods += ["password", "keyboard-interactive"]
    if certificate:
        methods.append("certificate")
    return tuple(methods)


_CREDENTIAL = {
    "publickey": "a key (sample_key or authorized_keys)",
    "password": "a password",
    "keyboard-interactive": "a password",
    "certificate": "a certificate (certificate: true)",
}


def method_errors(
    auth: tuple[AccountAuth, ...] | None, *, keys: bool, password: bool, certificate: bool
) -> Iterable[tuple[Location, str]]:
    """Methods named in ``auth`` whose credential the account lacks, or no method at all."""
    held = set(default_methods(keys=keys, password=password, certificate=certificate))
    if auth is None and not held:
        yield (
            (),
            "the account has no way to log in: give it a password, a sample_key, authorized_keys or "
            "certificate: true",
        )
    for index, method in enumerate(auth or ()):
        if method not in held:
            yield ("auth", index), f"{method} needs {_CREDENTIAL[method]}, which the account does not have"


def access_errors(profile: Profile) -> Iterable[tuple[Location, str]]:
    """User names that break the profile's pattern or repeat, and allowlists that break its rules."""
    if profile.username_pattern is not None:
        try:
            re.compile(profile.username_pattern)
        except re.error as error:
            yield ("username_pattern",), f"not a valid regular expression: {error}"
            return
    seen: set[str] = set()
    for index, account in enumerate(profile.accounts):
        for location, message in account_access_errors(profile, account):
            yield ("accounts", index, *location), message
        if account.username in seen:
            yield ("accounts", index, "username"), f"{account.username!r} is declared twice"
        seen.add(account.username)


def account_access_errors(profile: Profile, account: Account) -> Iterable[tuple[Location, str]]:
    """One account against the profile's rules: its user name's pattern, its allowlist (a compiled
    ``username_pattern`` is assumed: :func:`access_errors` checks it first)."""
    pattern = profile.username_pattern
    if pattern is not None and not re.fullmatch(pattern, account.username):
        yield ("username",), f"{account.username!r} does not match username_pattern {pattern!r}"
    for location, message in _allowlist_errors(profile.allowlist, account.ip_allowlist or ()):
        yield ("ip_allowlist", *location), message


_RANGE_MARKS = ("/", "-", "*")


def _allowlist_errors(rules: Allowlist, addresses: tuple[str, ...]) -> Iterable[tuple[Location, str]]:
    why = f" ({rules.why})" if rules.why else ""
    if len(addresses) > rules.max_addresses:
        yield (
            (),
            f"{len(addresses)} addresses: at most {rules.max_addresses} static addresses are allowed{why}",
        )
    for index, address in enumerate(addresses):
        if any(mark in address for mark in _RANGE_MARKS) and not rules.ranges:
            yield (index,), f"{address!r} is a range: only single static addresses are allowed{why}"
            continue
        try:
            if "/" in address:
                ipaddress.ip_network(address, strict=False)
            else:
                ipaddress.ip_address(address)
        except ValueError:
            yield (index,), f"{address!r} is not an IPv4 or IPv6 address"
