"""One account as the book holds it: its profile entry and its credentials, and how a change is checked.

An account changed while serving is checked exactly as a profile's account is (the same pydantic model,
the same cross-checks: user name pattern, allowlist rules, endpoints that exist, a way to log in on one of
them), so that an edit can never make an account the profile could not have declared.
"""

from __future__ import annotations

import enum
import ipaddress
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from ..infra.ssh_keys import public_key_line
from ..model._access import Account, account_access_errors
from ..model._presets import with_preset
from ..model._schema import Profile, account_errors
from ..model._types import AccountAuth, Location, dotted
from ..model.errors import UsageError

__all__ = ["KEEP", "AccountEntry", "AccountError", "Keep", "changed_entry", "new_entry", "normal_address"]


class AccountError(UsageError):
    """An account change the partner refuses: it would make an account the profile could not declare."""


class Keep(enum.Enum):
    """A field left as it is by :meth:`AccountBook.change` (``None`` means something: no password, every
    endpoint, any address)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def normal_address(address: str) -> str:
    """One spelling per address (IPv4-mapped IPv6 addresses as IPv4), to compare client addresses."""
    try:
        parsed = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    mapped = getattr(parsed, "ipv4_mapped", None)
    return str(mapped or parsed)


@dataclass(frozen=True)
class AccountEntry:
    """An account: its profile entry (or the one a change built), its password and the public keys it
    accepts (OpenSSH lines: its sample key's and the profile's ``authorized_keys``, or those given since)."""

    account: Account
    password: str | None = None
    public_keys: tuple[str, ...] = ()

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def methods(self) -> tuple[AccountAuth, ...]:
        return self.account.methods()

    @cached_property
    def key_ids(self) -> frozenset[tuple[str, ...]]:
        """The accepted keys as (algorithm, base64): what a client's key is compared with."""
        return frozenset(tuple(line.split()[:2]) for line in self.public_keys)

    @cached_property
    def addresses(self) -> frozenset[str] | None:
        """The allowlist, one spelling per address (None: any address)."""
        allowlist = self.account.ip_allowlist
        return None if allowlist is None else frozenset(normal_address(address) for address in allowlist)

    def may_use(self, endpoint: str) -> bool:
        return self.account.endpoints is None or endpoint in self.account.endpoints

    def endpoints(self, profile: Profile) -> tuple[str, ...]:
        """The endpoints it may use, by name."""
        return self.account.endpoints or tuple(profile.endpoints)


def new_entry(
    profile: Profile,
    username: str,
    *,
    password: str | bool | None,
    public_keys: Sequence[str],
    fields: Mapping[str, Any],
) -> AccountEntry:
    """An account created while serving; ``password=True`` generates one."""
    lines = _key_lines(public_keys)
    secret = _password(password)
    data = {"username": username, **fields, "password": _field(secret), "authorized_keys": lines}
    presets = {name: preset.model_dump(exclude_unset=True) for name, preset in profile.presets.items()}
    data = with_preset(data, presets)
    return AccountEntry(_checked(profile, data, f"cannot create account {username!r}"), secret, lines)


def changed_entry(
    profile: Profile,
    entry: AccountEntry,
    *,
    password: str | bool | Keep | None,
    public_keys: Sequence[str] | Keep,
    fields: Mapping[str, Any],
) -> AccountEntry:
    """``entry`` with the changes given (``KEEP``: unchanged), checked as a new profile entry."""
    data = entry.account.model_dump(exclude_defaults=True)
    data.update(fields)
    secret, lines = entry.password, entry.public_keys
    if not isinstance(password, Keep):
        secret = _password(password)
        data["password"] = _field(secret)
    if not isinstance(public_keys, Keep):
        lines = _key_lines(public_keys)
        data.update(authorized_keys=lines, sample_key=None, passphrase=False)
    account = _checked(profile, data, f"cannot change account {entry.username!r}")
    return AccountEntry(account, secret, lines)


def _password(password: str | bool | None) -> str | None:
    if password is True:
        return secrets.token_hex(12)
    if password is False or password is None:
        return None
    return password


def _field(password: str | None) -> str | bool:
    """The profile field for a password: the password itself ("" too, which the model refuses), or none."""
    return False if password is None else password


def _key_lines(public_keys: Sequence[str]) -> tuple[str, ...]:
    if isinstance(public_keys, str):
        raise AccountError("public_keys: expected a list of OpenSSH public key lines, not one string")
    lines = []
    for index, text in enumerate(public_keys):
        try:
            lines.append(public_key_line(text))
        except ValueError as error:
            raise AccountError(f"public_keys[{index}]: {error}") from None
    return tuple(dict.fromkeys(lines))


def _checked(profile: Profile, data: dict[str, Any], what: str) -> Account:
    """``data`` as an account the profile could declare, or an :class:`AccountError` saying why not."""
    try:
        account = Account.model_validate(data)
    except ValidationError as error:
        problems = [
            (_field_location(item["loc"]), item["msg"].removeprefix("Value error, "))
            for item in error.errors(include_url=False)
        ]
        raise AccountError(_message(what, problems)) from None
    problems = [*account_access_errors(profile, account), *account_errors(profile, account)]
    if problems:
        raise AccountError(_message(what, problems))
    return account


_FIELD_NAMES = {"authorized_keys": "public_keys"}


def _field_location(location: Iterable[int | str]) -> Location:
    parts = [part for part in location if not str(part).startswith("function-")]
    return tuple(_FIELD_NAMES.get(part, part) if isinstance(part, str) else part for part in parts)


def _message(what: str, problems: Sequence[tuple[Location, str]]) -> str:
    lines = [f"{dotted(location)}: {text}" if location else text for location, text in problems]
    return f"{what}: {'; '.join(lines)}"
