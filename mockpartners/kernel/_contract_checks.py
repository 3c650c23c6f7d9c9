"""The contract's check kinds (docs/contract.md): each reads a partner's journal events for one rule and gives
a verdict (status, summary, the events that broke it); ``contract`` turns verdicts into reports."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

from ..infra.journal import Event
from ..model.loading import ContractRule, EventMatcher

__all__ = ["Folders", "verdict"]

Folders = Callable[[str | None], Sequence[str]]
"""The folders a rule names for one account: its ``folders`` and the account's remote folders of its uses."""


def verdict(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    """What ``rule``'s check says of ``events``: ``fail`` before the rule's severity turns it into advice."""
    return _CHECKS[rule.check](rule, events, folders)


_Verdict = tuple[str, str, Sequence[Event]]
"""status (``fail`` before severity turns it into advice), summary, evidence"""


def _forbidden(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    broken = _matching(rule.match, events)
    if broken:
        return "fail", f"{len(broken)} forbidden event(s)", broken
    if _exercised(rule, events):
        return "pass", "no forbidden event", ()
    return "not-exercised", "nothing to check yet", ()


def _uploads_only_in(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    uploads = [event for event in events if _is_upload(event)]
    outside = [event for event in uploads if not _under(event.path, folders(event.account))]
    named = ", ".join([*rule.folders, *(f"the {use} folders" for use in rule.remote_folders)])
    if not uploads:
        return "not-exercised", "no upload", ()
    if outside:
        return "fail", f"{len(outside)} upload(s) outside {named}", outside
    return "pass", f"{len(uploads)} upload(s), all in {named}", ()


def _fetched_then_removed(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    fetched = _last_fetches(events, folders)
    left = [fetch for fetch in fetched if _fate(fetch, events, folders(fetch.account)) is None]
    if not fetched:
        return "not-exercised", "no file fetched", ()
    if left:
        return "fail", f"{len(left)} fetched file(s) never removed", left
    return "pass", f"{len(fetched)} fetched file(s), all removed", ()


def _fetched_then_moved(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    fetched = _last_fetches(events, folders)
    not_moved = [
        fetch for fetch in fetched if not _moved(_fate(fetch, events, folders(fetch.account), rule.to), rule)
    ]
    to = ", ".join(rule.to)
    if not fetched:
        return "not-exercised", "no file fetched", ()
    if not_moved:
        return "fail", f"{len(not_moved)} fetched file(s) not moved to {to}", not_moved
    return "pass", f"{len(fetched)} fetched file(s), all moved to {to}", ()


def _spaced(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    """Matching events of one account at least ``interval`` apart (the journal's times: the virtual clock)."""
    assert rule.interval is not None
    matching = _matching(rule.match, events)
    previous: dict[str | None, Event] = {}
    close = []
    for event in matching:
        before = previous.get(event.account)
        if before is not None and rule.interval.after(before.time) > event.time:
            close.append(event)
        previous[event.account] = event
    if len(matching) < 2:
        return "not-exercised", "fewer than two events to space", ()
    if close:
        return "fail", f"{len(close)} event(s) less than {rule.interval} after the previous one", close
    return "pass", f"{len(matching)} event(s), each at least {rule.interval} after the previous one", ()


def _followed(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    """Each matching event followed later by one of ``followed_by`` with the same ``same`` detail fields:
    every mail the XFB gateway sent an ordonnateur was read afterwards (``mail.read``, same Message-ID)."""
    matching = _matching(rule.match, events)
    follow_ups = _matching(rule.followed_by, events)

    def followed(event: Event) -> bool:
        return any(
            later.id > event.id and all(later.detail.get(key) == event.detail.get(key) for key in rule.same)
            for later in follow_ups
        )

    missing = [event for event in matching if not followed(event)]
    kinds = ", ".join(kind for matcher in rule.followed_by for kind in matcher.kinds) or "a follow-up"
    same = f" with the same {', '.join(rule.same)}" if rule.same else ""
    if not matching:
        return "not-exercised", "nothing to follow up", ()
    if missing:
        return "fail", f"{len(missing)} of {len(matching)} event(s) never followed by {kinds}{same}", missing
    return "pass", f"{len(matching)} event(s), each followed by {kinds}{same}", ()


def _read_after(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    """Each matching event's file (its path, same account) downloaded whole after it, before the next
    matching event of that file: TEDECO's chrono read after each status, each OCRE return fetched."""
    matching = _matching(rule.match, events)
    unread = [event for event in matching if not _read_before_next(event, matching, events)]
    if not matching:
        return "not-exercised", "nothing to read yet", ()
    if unread:
        return "fail", f"{len(unread)} of {len(matching)} never read afterwards", unread
    return "pass", f"{len(matching)} event(s), each read afterwards", ()


def _read_before_next(event: Event, matching: Sequence[Event], events: Sequence[Event]) -> bool:
    path = _normal(event.path)
    later = [other.id for other in matching if other.id > event.id and other.account == event.account
             and _normal(other.path) == path]  # fmt: skip
    bound = min(later, default=None)
    return any(
        _is_fetch(read) and read.account == event.account and _normal(read.path) == path
        and read.id > event.id and (bound is None or read.id < bound)
        for read in events
    )  # fmt: skip


def _exercised(rule: ContractRule, events: Sequence[Event]) -> bool:
    if rule.exercised_by:
        return any(_matches(matcher, event) for matcher in rule.exercised_by for event in events)
    return any(event.kind == "session.login" for event in events)


def _matching(matchers: Sequence[EventMatcher], events: Sequence[Event]) -> list[Event]:
    """The events any of ``matchers`` matches, in journal order."""
    return [event for event in events if any(_matches(matcher, event) for matcher in matchers)]


def _matches(matcher: EventMatcher, event: Event) -> bool:
    if matcher.kinds and not any(
        event.kind == kind or (kind.endswith("*") and event.kind.startswith(kind[:-1]))
        for kind in matcher.kinds
    ):
        return False
    if matcher.folders and not any(_at_or_under(path, matcher.folders) for path in _paths(event)):
        return False
    if matcher.outcomes and event.outcome not in matcher.outcomes:
        return False
    return all(event.detail.get(key) in values for key, values in matcher.detail.items())


def _paths(event: Event) -> list[str]:
    """The paths an event touches: a rename touches its source and its target (into a read-only folder)."""
    target = event.detail.get("target") if event.kind == "fs.rename" else None
    return [_normal(event.path), *([_normal(target)] if target else [])]


def _normal(path: object) -> str:
    """Home-relative and normalised: refused operations keep the path as the client sent it (``/IN/./x``,
    ``OUT//x``), and such a path must land in the same folder as the accepted one would."""
    text = posixpath.normpath("/" + str(path or "")).lstrip("/")
    return "" if text == "." else text


def _under(path: object, folders: Sequence[str]) -> bool:
    """A file in one of ``folders`` or in a folder below it."""
    normal = _normal(path)
    return any(normal.startswith(_normal(folder) + "/") for folder in folders)


def _at_or_under(path: object, folders: Sequence[str]) -> bool:
    """As :func:`_under`, or the folder itself (its mkdir, rmdir, setstat or listing)."""
    return _under(path, folders) or _normal(path) in {_normal(folder) for folder in folders}


def _is_upload(event: Event) -> bool:
    return event.kind == "fs.open" and event.detail.get("mode") in ("write", "append")


def _is_fetch(event: Event) -> bool:
    """A download that ended well (SFTP closes a read handle; FTP's RETR reports ``complete``)."""
    return (
        event.kind == "fs.close"
        and event.outcome == "ok"
        and event.detail.get("mode") == "read"
        and event.detail.get("complete", True) is not False
    )


def _last_fetches(events: Sequence[Event], folders: Folders) -> list[Event]:
    """The last download of each file in ``folders``. Each account has its own home, so the same path in
    two accounts is two files: what one account deletes says nothing about the other's."""
    latest: dict[tuple[str | None, str], Event] = {}
    for event in events:
        if _is_fetch(event) and _under(event.path, folders(event.account)):
            latest[(event.account, _normal(event.path))] = event
    return sorted(latest.values(), key=lambda event: event.id)


def _fate(
    fetch: Event, events: Sequence[Event], folders: Sequence[str], to: Sequence[str] = ()
) -> Event | None:
    """The client's operation that took a fetched file out of ``folders``: deleted, or renamed into ``to``
    or out of the folders. A rename that keeps it there (``X`` to ``X.done``) is followed, not counted."""
    path = _normal(fetch.path)
    for event in events:
        if event.id <= fetch.id or event.account != fetch.account or event.outcome != "ok":
            continue
        if _normal(event.path) != path or event.kind not in ("fs.remove", "fs.rename"):
            continue
        if event.kind == "fs.remove":
            return event
        target = event.detail.get("target")
        if _under(target, to) or not _under(target, folders):
            return event
        path = _normal(target)
    return None


def _moved(fate: Event | None, rule: ContractRule) -> bool:
    return fate is not None and fate.kind == "fs.rename" and _under(fate.detail.get("target"), rule.to)


_CHECKS: dict[str, Callable[[ContractRule, Sequence[Event], Folders], _Verdict]] = {
    "forbidden": _forbidden,
    "uploads-only-in": _uploads_only_in,
    "fetched-then-removed": _fetched_then_removed,
    "fetched-then-moved": _fetched_then_moved,
    "spaced": _spaced,
    "followed": _followed,
    "read-after": _read_after,
}
