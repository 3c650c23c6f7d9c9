"""Account presets: defaults an account takes when it is made from one (Lucca's hosting presets).

The Lucca help page "SFTP/FTPS" offers, when an account is created, a hosting server to choose: "Lucca"
(hosted by Lucca, nothing preset), "E-paye" and "MPRH" ("serveur hébergé par Lucca avec des paramètres
spécifiques"), and "Serveur client". What the specific settings are, the page does not say: a preset here is
data (remote folders, connection types, methods), so each assumption is one line of a profile to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field

from ._remote_folders import RemoteFolder
from ._types import AccountAuth, Location, Model

__all__ = ["PRESET_FIELDS", "AccountPreset", "preset_errors", "with_preset"]

PRESET_FIELDS = ("remote_folders", "endpoints", "auth", "description")
"""The account fields a preset gives; an account that writes one keeps its own."""


class AccountPreset(Model):
    """What accounts made from this preset start with."""

    title: str = Field(min_length=1)
    """How the partner's UI names the preset ("E-paye")."""
    description: str = ""
    remote_folders: tuple[RemoteFolder, ...] = ()
    endpoints: tuple[str, ...] | None = Field(default=None, min_length=1)
    auth: tuple[AccountAuth, ...] | None = Field(default=None, min_length=1)


def with_preset(account: Mapping[str, Any], presets: Mapping[str, Any]) -> dict[str, Any]:
    """The account's raw fields with its preset's defaults under those it does not write itself (raw data,
    before validation: an unknown preset is left for :func:`preset_errors` to name)."""
    data = dict(account)
    name = data.get("preset")
    preset = presets.get(name) if isinstance(name, str) else None
    if isinstance(preset, Mapping):
        for field in PRESET_FIELDS:
            if field in preset and field not in data:
                data[field] = preset[field]
    return data


def preset_errors(preset: str | None, presets: Mapping[str, AccountPreset]) -> Iterable[tuple[Location, str]]:
    if preset is not None and preset not in presets:
        known = ", ".join(presets) or "none"
        yield ("preset",), f"no preset {preset!r} (the profile has {known})"
