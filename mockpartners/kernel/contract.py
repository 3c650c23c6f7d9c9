"""Contract reports: does a client keep the partner's rules? Each rule of ``profile.contract`` is checked
over the journal and comes out pass, fail, not exercised (or advice), with the events as evidence.

The same report prints as text, JSON or JUnit XML (for CI dashboards); ``mockpartners report`` exits
non-zero when a rule of severity ``error`` fails.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from ..infra.journal import Event, Journal, Query
from ..model.loading import ContractRule, EventMatcher, Profile, RemoteFolder

__all__ = ["ContractReport", "RuleResult", "evaluate"]

_EVIDENCE_SHOWN = 10
_STATUSES = ("pass", "fail", "not-exercised", "advice")
# Clients choose the paths the journal keeps: a hostile name must neither break the JUnit file (XML 1.0
# cannot carry most control characters) nor drive the terminal or CI log that shows a report.
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class RuleResult:
    partner: str
    rule: str
    description: str
    reference: str
    severity: str
    status: str
    """``pass``, ``fail``, ``not-exercised``, or ``advice`` (an advice rule not followed)."""
    summary: str
    evidence: tuple[Event, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "rule": self.rule,
            "description": self.description,
            "reference": self.reference,
            "severity": self.severity,
            "status": self.status,
            "summary": self.summary,
            "evidence": [event.to_dict() for event in self.evidence],
        }

    def evidence_lines(self, indent: str, limit: int | None = _EVIDENCE_SHOWN) -> list[str]:
        """The evidence, one printable line per event, saying how many were left out."""
        return _event_lines(self.evidence, indent, limit)


@dataclass(frozen=True)
class ContractReport:
    results: tuple[RuleResult, ...]
    after: int = 0
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    partner_errors: tuple[Event, ...] = ()
    """``partner.error`` events in the report's window: the double failed, not the client. They do not
    break the contract, but every format shows them (JUnit as errors) so that nobody trusts a run in which
    the partner itself misbehaved."""

    @property
    def passed(self) -> bool:
        """No rule of severity error failed (not exercised and advice do not fail a report)."""
        return all(result.status != "fail" for result in self.results)

    def __add__(self, other: ContractReport) -> ContractReport:
        return ContractReport(
            self.results + other.results,
            min(self.after, other.after),
            partner_errors=self.partner_errors + other.partner_errors,
        )

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(_STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "generated_at": self.generated_at,
            "after": self.after,
            "counts": self.counts(),
            "results": [result.to_dict() for result in self.results],
            "partner_errors": [event.to_dict() for event in self.partner_errors],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        marks = {"pass": "PASS", "fail": "FAIL", "not-exercised": "----", "advice": "ADVICE"}
        lines = []
        for result in self.results:
            lines.append(f"{marks[result.status]:<6} {result.partner}/{result.rule}: {result.description}")
            if result.status in ("fail", "advice"):
                lines.append(f"       {result.summary}")
                lines.extend(result.evidence_lines("         "))
        if self.partner_errors:
            lines.append(
                f"ERROR  the partner itself failed {len(self.partner_errors)} time(s) (partner.error):"
            )
            lines.extend(_event_lines(self.partner_errors, "         "))
        verdict = "contract kept" if self.passed else "contract broken"
        lines.append(
            f"{verdict}: " + ", ".join(f"{count} {status}" for status, count in self.counts().items())
        )
        return "\n".join(lines) + "\n"

    def to_junit(self) -> str:
        """JUnit XML: a test suite per partner, a test case per rule (not exercised: skipped)."""
        counts = self.counts()
        root = ElementTree.Element(
            "testsuites",
            _attributes(
                name="mockpartners contract",
                tests=len(self.results),
                failures=counts["fail"],
                errors=len(self.partner_errors),
                skipped=counts["not-exercised"],
            ),
        )
        partners = [result.partner for result in self.results]
        partners += [str(event.partner) for event in self.partner_errors]
        for partner in dict.fromkeys(partners):
            results = [result for result in self.results if result.partner == partner]
            root.append(self._junit_suite(partner, results))
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    def _junit_suite(self, partner: str, results: Sequence[RuleResult]) -> ElementTree.Element:
        errors = [event for event in self.partner_errors if event.partner == partner]
        suite = ElementTree.Element(
            "testsuite",
            _attributes(
                name=f"{partner} contract",
                tests=len(results) + bool(errors),
                failures=sum(result.status == "fail" for result in results),
                errors=len(errors),
                skipped=sum(result.status == "not-exercised" for result in results),
                timestamp=self.generated_at,
            ),
        )
        for result in results:
            case = ElementTree.SubElement(
                suite, "testcase", _attributes(classname=f"mockpartners.{partner}", name=result.rule)
            )
            evidence = "\n".join(result.evidence_lines("", limit=None))
            if result.status == "fail":
                failure = ElementTree.SubElement(
                    case, "failure", _attributes(message=result.summary, type="ContractViolation")
                )
                failure.text = _xml_text(f"{result.description} ({result.reference})\n{evidence}")
            elif result.status == "not-exercised":
                ElementTree.SubElement(case, "skipped", _attributes(message=result.summary))
            elif result.status == "advice":
                output = ElementTree.SubElement(case, "system-out")
                output.text = _xml_text(f"advice: {result.summary}\n{evidence}")
        if errors:
            case = ElementTree.SubElement(
                suite, "testcase", _attributes(classname=f"mockpartners.{partner}", name="partner-side")
            )
            for event in errors:
                error = ElementTree.SubElement(
                    case, "error", _attributes(message=event.detail.get("error", ""), type="PartnerError")
                )
                error.text = _xml_text(_printable(str(event)))
        return suite

    def failure_message(self) -> str:
        """For assert_contract(): each broken rule, and the events that show it."""
        lines = []
        for result in self.results:
            if result.status != "fail":
                continue
            lines.append(f"contract rule {result.partner}/{result.rule} broken: {result.description}")
            if result.reference:
                lines.append(f"  ({result.reference})")
            lines.append(f"  {result.summary}")
            lines.extend(result.evidence_lines("    "))
        return "\n".join(lines)


def _event_lines(events: Sequence[Event], indent: str, limit: int | None = _EVIDENCE_SHOWN) -> list[str]:
    """Events, one printable line each, saying how many were left out."""
    shown = events if limit is None else events[:limit]
    lines = [indent + _printable(str(event)) for event in shown]
    if len(events) > len(shown):
        lines.append(f"{indent}... and {len(events) - len(shown)} more event(s)")
    return lines


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda found: ascii(found.group())[1:-1], text)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _attributes(**values: object) -> dict[str, str]:
    return {key: _xml_text(str(value)) for key, value in values.items()}


# -- evaluation ------------------------------------------------------------------------------------------


RemoteFolders = Callable[[str], Sequence[RemoteFolder]]
"""An account's remote folders, by user name (rules may name folders by their use)."""
Folders = Callable[[str | None], Sequence[str]]
"""The folders a rule names for one account: its ``folders`` and the account's remote folders of its uses."""


def evaluate(
    journal: Journal, profile: Profile, *, after: int = 0, remote_folders: RemoteFolders = lambda account: ()
) -> ContractReport:
    """Check every rule of ``profile.contract`` over the partner's events recorded after event ``after``."""
    events = journal.events(Query(partner=profile.name, after=after))
    return ContractReport(
        tuple(
            _check(profile.name, name, rule, events, _rule_folders(rule, remote_folders))
            for name, rule in profile.contract.items()
        ),
        after,
        partner_errors=tuple(event for event in events if event.kind == "partner.error"),
    )


def _rule_folders(rule: ContractRule, remote_folders: RemoteFolders) -> Folders:
    def folders(account: str | None) -> Sequence[str]:
        if not rule.remote_folders or account is None:
            return rule.folders
        mine = [folder.relative for folder in remote_folders(account) if folder.use in rule.remote_folders]
        return (*rule.folders, *mine)

    return folders


def _check(
    partner: str, name: str, rule: ContractRule, events: Sequence[Event], folders: Folders
) -> RuleResult:
    checks = {
        "forbidden": _forbidden,
        "uploads-only-in": _uploads_only_in,
        "fetched-then-removed": _fetched_then_removed,
        "fetched-then-moved": _fetched_then_moved,
        "spaced": _spaced,
        "followed-by": _followed_by,
    }
    status, summary, evidence = checks[rule.check](rule, events, folders)
    if status == "fail" and rule.severity != "error":
        status = "advice"
    return RuleResult(
        partner, name, rule.description, rule.reference, rule.severity, status, summary, tuple(evidence)
    )


_Verdict = tuple[str, str, Sequence[Event]]
"""status (``fail`` before severity turns it into advice), summary, evidence"""


def _forbidden(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    broken = [event for event in events if any(_matches(matcher, event) for matcher in rule.match)]
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
    matching = [event for event in events if any(_matches(matcher, event) for matcher in rule.match)]
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


def _followed_by(rule: ContractRule, events: Sequence[Event], folders: Folders) -> _Verdict:
    """Each matching event followed, later, by a ``then`` event with the same ``same`` detail (an answer
    mailed, then read by its Message-ID)."""
    pending: dict[object, Event] = {}
    for event in events:
        if any(_matches(matcher, event) for matcher in rule.match):
            pending.setdefault(event.detail.get(rule.same), event)
        elif any(_matches(matcher, event) for matcher in rule.then):
            pending.pop(event.detail.get(rule.same), None)
    matched = sum(1 for event in events if any(_matches(matcher, event) for matcher in rule.match))
    if not matched:
        return "not-exercised", "no event to follow up", ()
    if pending:
        return "fail", f"{len(pending)} of {matched} event(s) never followed up", list(pending.values())
    return "pass", f"{matched} event(s), each followed up", ()


def _exercised(rule: ContractRule, events: Sequence[Event]) -> bool:
    if rule.exercised_by:
        return any(_matches(matcher, event) for matcher in rule.exercised_by for event in events)
    return any(event.kind == "session.login" for event in events)


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
