"""INSEE's TEDECO spool as data (TASK Collectivités' guide, E and I/2b): the application spaces, the fields
of a request and which are required, the recipient aliases the address book knows, the mail statuses' times.

The guide shows a request's fields (the scheduler's profile screen, section E) but not the request file's
format: ours is ``key = value`` lines, the keys below (``fields``), so the format is profile data too.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ByteSize, Field, field_validator, model_validator

from ._types import DurationField, Model
from .duration import Duration

__all__ = ["OcreReturns", "TedecoSpace", "TedecoSpool"]

VARIABLES = ("var1", "var2", "var3", "var4")
"""The application reference's variables (guide I/2b): civil status var1, var2; elections var3, var4."""

_SPACE = re.compile(r"^[0-9A-Za-z]{1,8}$")


class TedecoSpace(Model):
    """An application space ("espace applicatif", the ``[ead]`` of ``rqxxxx.[ead]``): what its requests
    carry and where the OCRE returns of its mails land."""

    application: str = Field(min_length=1)
    """What INSEE receives there (état civil, élections): shown in the chrono and the journal."""
    variables: tuple[Literal["var1", "var2", "var3", "var4"], ...] = ()
    """The reference's variables every request of this space must give (guide I/2b: "variables
    obligatoires pour l'I.N.S.E.E.")."""
    returns: str = Field(min_length=1)
    """The home-relative folder where its OCRE returns ``la<xxxx>.<space>`` land (``ea/001``, ``ea/a020``)."""


class OcreReturns(Model):
    """INSEE's OCRE return files: one per opened mail, ``after`` its opening (none: only on demand)."""

    after: DurationField | None = Duration(seconds=3600)
    content: str = "OCRE ${space} ${sequence} ${reference}\n"
    """The file's text; variables ``${account}``, ``${space}``, ``${sequence}``, ``${reference}``,
    ``${request}``, ``${date}``, ``${time}``."""


class TedecoSpool(Model):
    """The TEDECO user agent and the Atlas server behind it, as one partner: it scans ``ead/<space>/`` for
    requests, validates, compresses and segments their files, and moves each mail through the statuses on
    the virtual clock, writing each status in the request's chrono file and the journal."""

    kind: Literal["tedeco"] = "tedeco"
    spool: str = "ead"
    """The folder of the application spaces: requests go into ``<spool>/<space>/``."""
    spaces: dict[str, TedecoSpace] = Field(min_length=1)
    chrono: str = "chrono"
    """The folder of the chrono files, one per request: ``<chrono>/<xxxx>.<space>``."""
    work_folders: tuple[str, ...] = ("t", "tmp", "tmpxted")
    """The agent's work folders: what a silent agent needs purged before it speaks again (guide I)."""
    scan_every: float = Field(default=1.0, ge=0.05, le=3600)
    """Real seconds between two scans of the spool (files written straight to disk have no upload event)."""
    fields: dict[str, str] = Field(min_length=1)
    """Request keys and the guide's label of each (``subject: Sujet du message``)."""
    required: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ("INSEE",)
    """Recipient aliases the UA's address book knows; any other fails after deposit (bad address)."""
    compression: str = "LempelZiv"
    """The only compression a request may ask for (guide E: "doit être positionné à LempelZiv")."""
    record_length: int = Field(default=284, ge=1, le=65536)
    segment_size: ByteSize = ByteSize(2 * 10**6)
    """Compressed files larger than this are cut into segments of at most this size (guide I: 2 Mo)."""
    deposited_after: DurationField = Duration(seconds=60)
    """From prepared to deposited (taken by Atlas)."""
    diffused_after: DurationField = Duration(seconds=300)
    """From deposited to diffused (in the recipient's mailbox) or failed (bad address)."""
    opened_after: DurationField = Duration(seconds=7200)
    """From diffused to opened (the recipient fetched it; the opening notice came back)."""
    not_acknowledged_after: DurationField = Duration(seconds=80 * 3600)
    """From deposit: no opening notice by then is "non acquitté" (guide I: "délai conventionnel de 80
    heures")."""
    failed_connections: int = Field(default=3, ge=1, le=100)
    """Failed connections after which the agent goes silent (guide I: "après 3 tentatives")."""
    ocre: OcreReturns = OcreReturns()

    @field_validator("spaces")
    @classmethod
    def _space_names(cls, spaces: dict[str, TedecoSpace]) -> dict[str, TedecoSpace]:
        for name in spaces:
            if not _SPACE.match(name):
                raise ValueError(
                    f"space {name!r}: expected 1 to 8 letters or digits (the suffix of rq0001.001)"
                )
        return spaces

    @model_validator(mode="after")
    def _required_fields_exist(self) -> TedecoSpool:
        unknown = [name for name in self.required if name not in self.fields]
        if unknown:
            raise ValueError(f"required field(s) {', '.join(unknown)} not among fields")
        for key in ("file", "recipient"):
            if key not in self.fields:
                raise ValueError(f"fields must have {key!r}: the partner reads it")
        return self

    def space_folders(self) -> tuple[str, ...]:
        """Where requests arrive: ``ead/<space>`` for every space."""
        return tuple(f"{self.spool}/{space}" for space in self.spaces)

    def inbox_folders(self) -> tuple[str, ...]:
        return self.space_folders()

    def named_folders(self) -> tuple[str, ...]:
        """Every folder of the home this spec names (each must be declared under folders)."""
        returns = tuple(space.returns for space in self.spaces.values())
        return (*self.space_folders(), *returns, self.chrono, *self.work_folders)
