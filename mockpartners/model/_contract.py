"""Contract rules as profile data (docs/contract.md): what a well-behaved client does, checked over the
journal by the kernel's check kinds; and the checks a rule's fields must pass when the profile loads."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Literal

from ._remote_folders import RemoteFolderUse
from ._types import DurationField, Location
from ._types import Model as _Model

__all__ = ["ContractRule", "EventMatcher", "contract_errors"]


class EventMatcher(_Model):
    """Journal events a contract rule looks at: all given conditions must hold."""

    kinds: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    outcomes: tuple[Literal["ok", "refused", "failed"], ...] = ()
    detail: dict[str, tuple[str | int | bool, ...]] = {}


class ContractRule(_Model):
    """One thing a well-behaved client does (or never does), checked over the journal."""

    description: str
    check: Literal[
        "forbidden",
        "uploads-only-in",
        "fetched-then-removed",
        "fetched-then-moved",
        "spaced",
        "followed",
        "read-after",
    ]
    match: tuple[EventMatcher, ...] = ()
    interval: DurationField | None = None
    """``spaced``: the least time between two matching events of one account (the XFB guide's 30 s)."""
    followed_by: tuple[EventMatcher, ...] = ()
    """``followed``: what must come after each matching event (a mail sent: its ``mail.read``)."""
    same: tuple[str, ...] = ()
    """``followed``: detail fields the follow-up has in common with the event (``message_id``)."""
    folders: tuple[str, ...] = ()
    remote_folders: tuple[RemoteFolderUse, ...] = ()
    """Besides ``folders``: each account's remote folders of these uses (Lucca's import folders)."""
    to: tuple[str, ...] = ()
    exercised_by: tuple[EventMatcher, ...] = ()
    severity: Literal["error", "advice"] = "error"
    reference: str = ""


def contract_errors(rule: ContractRule, declared: Collection[str]) -> Iterable[tuple[Location, str]]:
    """A rule that names no folder, or a folder the profile does not have, would never be exercised."""
    needs = {
        "forbidden": ("match",),
        "uploads-only-in": ("folders",),
        "fetched-then-removed": ("folders",),
        "fetched-then-moved": ("folders", "to"),
        "spaced": ("match", "interval"),
        "followed": ("match", "followed_by"),
        "read-after": ("match",),
    }[rule.check]
    for key in needs:
        if not getattr(rule, key) and not (key == "folders" and rule.remote_folders):
            either = " (or remote_folders)" if key == "folders" else ""
            yield (key,), f"a {rule.check} rule needs {key}{either}"
    matchers = [("match", index, matcher) for index, matcher in enumerate(rule.match)]
    matchers += [("exercised_by", index, matcher) for index, matcher in enumerate(rule.exercised_by)]
    matchers += [("followed_by", index, matcher) for index, matcher in enumerate(rule.followed_by)]
    named: list[tuple[Location, str]] = [
        ((key,), folder) for key in ("folders", "to") for folder in getattr(rule, key)
    ]
    named += [
        ((key, index, "folders"), folder) for key, index, matcher in matchers for folder in matcher.folders
    ]
    for location, folder in named:
        if folder not in declared:
            yield location, f"folder {folder!r} is not declared under folders"
