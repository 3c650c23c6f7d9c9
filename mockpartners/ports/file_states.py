"""What a protocol adapter asks of a partner whose files have states (the XFB gateway: B, to fetch; T,
fetched; E, opened twice, until the S.A.U. makes it available again): the port it works through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["Available", "FetchDecision", "FileStatesPort"]

State = Literal["B", "T", "E"]


@dataclass(frozen=True)
class Available:
    """A file the account may fetch: its name and the gateway's ``local_ident``."""

    name: str
    local_ident: int


@dataclass(frozen=True)
class FetchDecision:
    """Whether a fetch may go on: the file's home-relative path, or why not (with the state it is in)."""

    path: str = ""
    refusal: str = ""
    state: State = "B"


class FileStatesPort(Protocol):
    def available(self, username: str) -> list[Available]:
        """The account's files in state B, oldest first."""

    def fetch(self, username: str, name: str, local_ident: int) -> FetchDecision:
        """A request for a file: B may be sent; a file already fetched and asked again goes to E."""

    def fetched(self, username: str, name: str, local_ident: int, *, complete: bool) -> None:
        """The file was sent whole (B -> T), or the transfer broke (it stays in B)."""
