"""What every port shows of its partner: who it is, its profile, its journal, its scenarios, its accounts.

Adapters and processors both read these; each port adds what only its side needs.
"""

from __future__ import annotations

from typing import Protocol

from ..infra.journal import Journal
from ..model.loading import Profile
from ..scenarios import Scenarios
from .accounts import AccountBook

__all__ = ["PartnerFacts"]


class PartnerFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def profile(self) -> Profile: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def scenarios(self) -> Scenarios: ...
    @property
    def accounts(self) -> AccountBook:
        """The accounts as they are now (created while serving included): asked each time, never copied."""
