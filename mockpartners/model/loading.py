"""Partner profiles: the schema, and loading that turns every mistake into one precise message.

A profile is data (YAML). Built-in ones live in ``mockpartners/profiles``; a user file may stand alone or
say ``extends: onss`` and change only what it needs; ``--set onss.pickup.delay=5m`` changes one value.
Whatever the source, an error names the file, the line, the key and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from . import _yaml
from ._schema import (
    ENDPOINT_PROTOCOLS,
    PROCESSOR_KINDS,
    Account,
    Allowlist,
    Answers,
    AnswerTemplate,
    ContractRule,
    CustomerServer,
    CustomerServerExchange,
    Deposits,
    Endpoint,
    EventMatcher,
    Export,
    FailedLogins,
    FileStates,
    Folder,
    FtpsEndpoint,
    HttpEndpoint,
    MailIntake,
    Pickup,
    Pop3Endpoint,
    ProcessorSpec,
    Profile,
    Records,
    RemoteFolder,
    Retention,
    Right,
    SftpEndpoint,
    SmtpEndpoint,
    consistency_errors,
    folder_table,
    nearest_folder,
)
from ._types import dotted
from .errors import ProfileError, UnknownPartnerError, UsageError

__all__ = [
    "Account",
    "Allowlist",
    "AnswerTemplate",
    "Answers",
    "ContractRule",
    "CustomerServer",
    "CustomerServerExchange",
    "Deposits",
    "Endpoint",
    "EventMatcher",
    "Export",
    "FailedLogins",
    "FileStates",
    "Folder",
    "FtpsEndpoint",
    "HttpEndpoint",
    "MailIntake",
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
    "builtin_names",
    "folder_table",
    "load_profile",
    "load_profiles",
    "nearest_folder",
]


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
            value = _yaml.load_value(raw_value, f"--set {setting}") if raw_value.strip() else ""
        except _yaml.RefusedDocument as error:
            raise UsageError(str(error)) from None
        except ValueError:  # not YAML: the text as it is
            value = raw_value
        try:
            _yaml.set_path(data, path[1:], value)
        except KeyError as error:
            raise UsageError(
                f"--set {setting!r}: {name}.{error.args[0]} is not a list index that exists"
            ) from None
    return data


def _describe(documents: Sequence[_yaml.Document], location: _yaml.Location, settings: Sequence[str]) -> str:
    shown_location = dotted(location) or "(top level)"
    for setting in settings:
        set_path = setting.split("=", 1)[0].strip().split(".")[1:]
        shown = [str(part) for part in location]
        if shown[: len(set_path)] == set_path or set_path[: len(shown)] == shown:
            return f"--set {setting}: {shown_location}"
    # the file that writes most of it (a key missing in a user's item is the user's); none: the last one
    depths = [document.written_depth(location) for document in documents]
    document = documents[depths.index(max(depths))] if max(depths) else documents[-1]
    line = document.line_of(location)
    where = f"{document.source}, line {line}" if line else document.source
    return f"{where}: {shown_location}"


def _validate(data: dict[str, Any], documents: Sequence[_yaml.Document], settings: Sequence[str]) -> Profile:
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in _first_causes(error.errors(include_url=False)):
            location, message = _problem(item)
            got = item.get("input")
            shown = (
                "" if item["type"] in _SHOWN_ELSEWHERE or isinstance(got, dict | list) else f" (got {got!r})"
            )
            problems.append(f"{_describe(documents, location, settings)}: {message}{shown}")
        raise ProfileError(_join(problems)) from None
    problems = [
        f"{_describe(documents, location, settings)}: {message}"
        for location, message in consistency_errors(profile)
    ]
    if problems:
        raise ProfileError(_join(problems))
    return profile


_SHOWN_ELSEWHERE = {"missing", "extra_forbidden", "union_tag_invalid", "union_tag_not_found"}
"""Errors whose message says all (the value given, if any, is in it): no "(got ...)" after them."""
_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key (check its spelling and indentation)",
    "tuple_type": "expected a list",
    "model_attributes_type": "expected a mapping of keys",
}
_TAGS = {"protocol": ENDPOINT_PROTOCOLS, "kind": PROCESSOR_KINDS}
"""What names the kind of an endpoint or a processor, and the values it takes."""


def _problem(item: ErrorDetails) -> tuple[_yaml.Location, str]:
    """Where a pydantic error is, and what it means in the profile's words: an endpoint or processor of
    a kind we do not know names its ``protocol`` or ``kind`` and the known ones."""
    location = _clean_location(item["loc"])
    if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = str(item.get("ctx", {}).get("discriminator", "")).strip("'")
        known = ", ".join(_TAGS.get(key, ()))
        if item["type"] == "union_tag_not_found":
            return (*location, key), f"missing: say which {key} (known: {known})"
        tag = item.get("ctx", {}).get("tag")
        return (*location, key), f"unknown {key} {tag!r}; known {key}s: {known}"
    message = _PLAIN_MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, "))
    return location, message


def _first_causes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Without the errors that only follow from another one: a list whose one item is refused is also
    "too short after validation", which says nothing the item's own error does not."""
    return [
        item
        for item in errors
        if item["type"] != "too_short"
        or not any(
            other["loc"][: len(item["loc"])] == item["loc"] and len(other["loc"]) > len(item["loc"])
            for other in errors
        )
    ]


def _clean_location(location: tuple[int | str, ...]) -> _yaml.Location:
    """pydantic adds validator names and the union tag (endpoints.ftps.ftps.port, processors.0.pickup.delay):
    drop them."""
    parts = [part for part in location if not str(part).startswith("function-")]
    tags = {"endpoints": ENDPOINT_PROTOCOLS, "processors": PROCESSOR_KINDS}
    if len(parts) > 2 and parts[2] in tags.get(str(parts[0]), ()):
        del parts[2]
    return tuple(parts)


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
        try:
            data = _yaml.deep_merge(base.data, data)
        except KeyError as error:
            raise ProfileError(
                f"{documents[0].source}: {error.args[0]}: {parent} has no such item (indexes count from 0)"
            ) from None
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

    A user file whose name matches a built-in replaces it. ``settings`` for a built-in partner that is not
    started are ignored (a container's defaults name every partner); any other name is an error.
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
        if partner not in names and partner not in builtin_names():  # a typo, not a partner left out
            raise UsageError(
                f"--set {setting!r}: no partner {partner!r} is started (started: {', '.join(sorted(names))})"
            )
    return chosen
