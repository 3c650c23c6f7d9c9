"""Partner profiles: the schema, and loading that turns every mistake into one precise message.

A profile is data (YAML). Built-in ones live in ``mockpartners/profiles``; a user file may stand alone or
say ``extends: onss`` and change only what it needs; ``--set onss.pickup.delay=5m`` changes one value.
Whatever the source, an error names the file, the line, the key and what was expected.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from . import _yaml
from ._duration import Duration
from .errors import ProfileError, UnknownPartnerError, UsageError

__all__ = [
    "Account",
    "AnswerTemplate",
    "Answers",
    "Endpoint",
    "Folder",
    "Pickup",
    "Profile",
    "builtin_names",
    "load_profile",
    "load_profiles",
]

Right = Literal["list", "read", "write", "delete", "rename", "mkdir", "setstat"]
AuthMethod = Literal["publickey", "password", "keyboard-interactive"]
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
_KEY_TYPE = re.compile(r"^(rsa-(2048|3072|4096)|ed25519|ecdsa-(256|384|521))$")


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    try:
        return Duration.parse(value)
    except UsageError as error:
        raise ValueError(str(error)) from None


DurationField = Annotated[Duration, BeforeValidator(_duration)]


def _key_type(value: Any) -> str:
    if not isinstance(value, str) or not _KEY_TYPE.match(value):
        raise ValueError("expected a key type: rsa-2048, rsa-3072, rsa-4096, ed25519, ecdsa-256/384/521")
    return value


KeyType = Annotated[str, BeforeValidator(_key_type)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Endpoint(_Model):
    """One listening service of a partner."""

    protocol: Literal["sftp"]
    port: int = Field(ge=1, le=65535)
    unprivileged_port: int | None = Field(default=None, ge=1024, le=65535)
    host_keys: tuple[KeyType, ...] = ("rsa-4096", "ed25519")
    auth_offered: tuple[AuthMethod, ...] = ("publickey", "password", "keyboard-interactive")
    auth_accepted: tuple[AuthMethod, ...] = ("publickey",)
    banner: str | None = None


class Account(_Model):
    """A client account; credentials are generated in the state directory unless given here."""

    username: str = Field(min_length=1, max_length=64)
    description: str = ""
    sample_key: KeyType | None = "ed25519"
    passphrase: bool = False
    authorized_keys: tuple[str, ...] = ()


class Folder(_Model):
    """Rights of the account inside a folder of its home (``/`` is the home itself)."""

    rights: tuple[Right, ...] = ()
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


class Pickup(_Model):
    """How the partner picks up requests from inboxes and answers them, whatever the protocol."""

    inboxes: dict[str, str] = Field(min_length=1)
    trigger: Literal["close"] = "close"
    name_pattern: str = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    temporary_suffixes: tuple[str, ...] = (".filepart", ".part", ".partial", ".tmp")
    unmatched: Literal["reject", "ignore"] = "reject"
    rejection_reason: str = "incorrect file name"
    after_pickup: Literal["remove", "keep"] = "remove"
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


class Profile(_Model):
    """Everything that makes one partner: endpoints, accounts, folders and partner-side behaviour."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    real_host: str = ""
    source: str = ""
    endpoints: dict[str, Endpoint] = Field(min_length=1)
    username_pattern: str | None = None
    accounts: tuple[Account, ...] = Field(min_length=1)
    wrong_key: KeyType | None = "ed25519"
    folders: dict[str, Folder]
    pickup: Pickup | None = None

    def folder_rule(self, folder: str) -> Folder:
        """Rights of ``folder`` (a home-relative path, "" or "/" for the home): the nearest declared one."""
        parts = [part for part in folder.strip("/").split("/") if part]
        while parts:
            declared = self.folders.get("/".join(parts))
            if declared is not None:
                return declared
            parts.pop()
        return self.folders.get("/", Folder())


def _consistency_errors(profile: Profile) -> Iterable[tuple[_yaml.Location, str]]:
    if profile.username_pattern is not None:
        try:
            pattern = re.compile(profile.username_pattern)
        except re.error as error:
            yield ("username_pattern",), f"not a valid regular expression: {error}"
            return
        for index, account in enumerate(profile.accounts):
            if not pattern.fullmatch(account.username):
                yield (
                    ("accounts", index, "username"),
                    (f"{account.username!r} does not match username_pattern {profile.username_pattern!r}"),
                )
    seen: set[str] = set()
    for index, account in enumerate(profile.accounts):
        if account.username in seen:
            yield ("accounts", index, "username"), f"{account.username!r} is declared twice"
        seen.add(account.username)
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


def builtin_names() -> list[str]:
    """Names of the profiles shipped with mockpartners, sorted."""
    folder = resources.files("mockpartners") / "profiles"
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def _builtin_document(name: str) -> _yaml.Document:
    names = builtin_names()
    if name not in names:
        raise UnknownPartnerError(f"unknown partner {name!r}: built-in partners are {', '.join(names)}")
    text = (resources.files("mockpartners") / "profiles" / f"{name}.yaml").read_text(encoding="utf-8")
    return _parse(text, f"built-in profile {name}.yaml")


def _parse(text: str, source: str) -> _yaml.Document:
    try:
        return _yaml.parse(text, source)
    except ValueError as error:
        raise ProfileError(str(error)) from None


def _file_document(path: Path) -> _yaml.Document:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(f"{path}: cannot read profile: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: cannot read profile: not UTF-8 text") from None
    return _parse(text, str(path))


def _apply_settings(data: dict[str, Any], settings: Sequence[str], name: str) -> dict[str, Any]:
    for setting in settings:
        key, separator, raw_value = setting.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"--set {setting!r}: expected PARTNER.KEY=VALUE, e.g. onss.pickup.delay=5m")
        path = key.strip().split(".")
        if path[0] != name:
            continue
        if len(path) < 2:
            raise UsageError(f"--set {setting!r}: name a key under {name}, e.g. {name}.pickup.delay=5m")
        try:
            value = yaml.safe_load(raw_value) if raw_value.strip() else ""
        except yaml.YAMLError:
            value = raw_value
        try:
            _yaml.set_path(data, path[1:], value)
        except KeyError as error:
            raise UsageError(
                f"--set {setting!r}: {name}.{error.args[0]} is not a list index that exists"
            ) from None
    return data


def _describe(documents: Sequence[_yaml.Document], location: _yaml.Location, settings: Sequence[str]) -> str:
    dotted = ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in location)
    dotted = dotted.replace(".[", "[") or "(top level)"
    for setting in settings:
        set_path = setting.split("=", 1)[0].strip().split(".")[1:]
        if [str(part) for part in location[: len(set_path)]] == set_path:
            return f"--set {setting}: {dotted}"
    for document in documents:
        if document.has(location) or document is documents[-1]:
            line = document.line_of(location)
            where = f"{document.source}, line {line}" if line else document.source
            return f"{where}: {dotted}"
    return dotted


def _validate(data: dict[str, Any], documents: Sequence[_yaml.Document], settings: Sequence[str]) -> Profile:
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            location = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
            message = item["msg"].removeprefix("Value error, ")
            got = item.get("input")
            shown = (
                ""
                if item["type"] in {"missing", "extra_forbidden"} or isinstance(got, dict | list)
                else f" (got {got!r})"
            )
            if item["type"] == "extra_forbidden":
                message = "unknown key (check its spelling and indentation)"
            problems.append(f"{_describe(documents, location, settings)}: {message}{shown}")
        raise ProfileError(_join(problems)) from None
    problems = [
        f"{_describe(documents, location, settings)}: {message}"
        for location, message in _consistency_errors(profile)
    ]
    if problems:
        raise ProfileError(_join(problems))
    return profile


def _join(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"invalid profile: {problems[0]}"
    return "invalid profile:\n  " + "\n  ".join(problems)


def load_profile(
    name_or_path: str | Path,
    settings: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> Profile:
    """Load a built-in profile by name or a profile file by path, then apply ``overrides`` and ``settings``.

    ``overrides`` is a nested mapping merged over the profile (Python API); ``settings`` are
    ``PARTNER.KEY=VALUE`` strings (CLI ``--set``), applied last and only to the partner they name.
    """
    path = Path(name_or_path)
    is_file = isinstance(name_or_path, Path) or path.suffix in {".yaml", ".yml"} or "/" in str(name_or_path)
    documents = [_file_document(path)] if is_file else [_builtin_document(str(name_or_path))]
    data = documents[0].data
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ProfileError(f"{documents[0].source}: extends: expected the name of a built-in profile")
        base = _builtin_document(parent)
        data = _yaml.deep_merge(base.data, data)
        data.setdefault("name", parent)
        documents.append(base)
    if overrides:
        data = _yaml.deep_merge(data, overrides)
    name = str(data.get("name", ""))
    data = _apply_settings(data, settings, name)
    return _validate(data, documents, settings)


def load_profiles(
    partners: Sequence[str] = (),
    profile_files: Sequence[str | Path] = (),
    settings: Sequence[str] = (),
) -> list[Profile]:
    """The profiles a suite runs: named built-ins (all of them by default) plus user files.

    A user file whose name matches a built-in replaces it; ``settings`` naming no loaded partner are an error.
    """
    loaded = {profile.name: profile for profile in (load_profile(path, settings) for path in profile_files)}
    wanted = list(partners) or ([] if profile_files else builtin_names())
    for name in wanted:
        if name not in loaded:
            loaded[name] = load_profile(name, settings)
    chosen = [loaded[name] for name in wanted] + [p for n, p in loaded.items() if n not in wanted]
    names = {profile.name for profile in chosen}
    for setting in settings:
        partner = setting.split("=", 1)[0].split(".", 1)[0]
        if partner not in names:
            raise UsageError(
                f"--set {setting!r}: no partner {partner!r} is started (started: {', '.join(sorted(names))})"
            )
    return chosen
