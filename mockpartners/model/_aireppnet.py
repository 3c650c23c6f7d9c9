"""INSEE's AIREPPNET portal as profile data: the file types it takes (each to its own INSEE server, so its
own inbox), the name each type's files must have, the idle time after which a session ends and the delay
between two files of one collectivité.

The TASK Collectivités guide, section F: "Sélectionnez le type de fichier à envoyer... Il peut s'agir de
données Electorales FR ou EU, ou de données EtatCivil... L'ordonnanceur se chargera de les adresser sur le
bon serveur INSEE"; the AIREPPNET profile's "Temporisation inter-fichiers : 60" and "Deconnexion
automatique : 60"; the transfer log's "c:\\transfert\\wecivil1.038". The name patterns, the inboxes and what
happens to a file sent too soon are ours (the guide is silent): docs/partners/insee.md says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from ._types import DurationField, Location, Model, PatternField
from .duration import Duration

if TYPE_CHECKING:
    from ._schema import Profile

__all__ = ["FileType", "Portal", "portal_errors"]

TooClose = Literal["refused", "lost", "accepted"]


class FileType(Model):
    """One kind of file the portal takes, and where it goes."""

    label: str = Field(min_length=1, max_length=40)
    """What the form's choice says (the scheduler's "Type de fichier : Etat Civil")."""
    profile: str = Field(pattern=r"^[A-Z][A-Z0-9-]{0,19}$")
    """The transfer log's "Profil" column (``ETATCIVIL``)."""
    folder: str = Field(min_length=1)
    """The inbox in each home: the INSEE server this type goes to takes its files from there."""
    server: str = Field(min_length=1, max_length=80)
    """The INSEE server that receives this type, as the acknowledgement names it."""
    name_pattern: PatternField
    """The file names this type accepts (a regular expression matched whole; ``(?i)`` for Windows names)."""
    name_example: str = Field(min_length=1)
    """A name that fits, shown on the refusal page (``wecivil1.038``)."""

    @model_validator(mode="after")
    def _example_fits(self) -> FileType:
        if not self.accepts(self.name_example):
            raise ValueError(f"name_example {self.name_example!r} does not match name_pattern")
        return self

    def accepts(self, name: str) -> bool:
        return re.fullmatch(self.name_pattern, name) is not None


class Portal(Model):
    """The AIREPPNET portal's settings (an ``aireppnet`` endpoint's ``portal``)."""

    file_types: dict[str, FileType] = Field(min_length=1)
    """The form's ``type`` value -> the file type (``etat-civil``, ``elections-fr``, ``elections-eu``)."""
    idle_timeout: DurationField = Duration(seconds=60)
    """"Deconnexion automatique : 60": a session idle this long (virtual clock) is over."""
    inter_file_delay: DurationField = Duration(seconds=60)
    """"Temporisation inter-fichiers : 60": the least time between two files of one collectivité."""
    too_close: TooClose = "refused"
    """A file sent within the delay: refused with a page (ours), lost though answered OK, or accepted."""

    @field_validator("idle_timeout")
    @classmethod
    def _some_time(cls, value: Duration) -> Duration:
        if value.total_seconds() < 1:
            raise ValueError("expected at least 1s, like 60s")
        return value


def portal_errors(profile: Profile) -> Iterable[tuple[Location, str]]:
    """A file type whose inbox the profile does not declare, or two types sharing one inbox."""
    for name, endpoint in profile.endpoints.items():
        portal = getattr(endpoint, "portal", None)
        if not isinstance(portal, Portal):
            continue
        taken: dict[str, str] = {}
        for key, file_type in portal.file_types.items():
            where: Location = ("endpoints", name, "portal", "file_types", key, "folder")
            if file_type.folder not in profile.folders:
                yield where, f"folder {file_type.folder!r} is not declared under folders"
            elif taken.setdefault(file_type.folder, key) != key:
                first = taken[file_type.folder]
                yield where, f"folder {file_type.folder!r} is already the inbox of {first!r}"
