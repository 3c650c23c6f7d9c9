"""What an account may send, and to whom: the XFB gateway's "référence applicative" and "site de
destination" ("ces valeurs vous sont fournies par la D.G.C.P.", one pair per scenario: MANDATS with
GRCT450 and C175 in TASK Collectivités' guide, section D/1)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from ._types import Model

__all__ = ["ApplicationRoute"]

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]{0,15}$")


class ApplicationRoute(Model):
    """One (application reference, destination site) pair an ordonnateur may deposit to."""

    reference: str = Field(min_length=1, max_length=16)
    """The application reference, as the DGCP gives it (``GRCT450``, ``GHEL450``, ``GEAU500``)."""
    site: str = Field(min_length=1, max_length=16)
    """The destination site (``C175``)."""
    scenario: str = ""
    """What the files are (MANDATS, TITRES, BUDGETS, ROLMRE, HOPAYRA, INVENT), for the journal and mails."""

    @field_validator("reference", "site")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"{value!r}: expected capital letters and digits, like GRCT450 or C175")
        return value
