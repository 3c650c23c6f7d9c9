"""Contract reports: does a client keep the partner's rules? Each rule of ``profile.contract`` is checked
over the journal and comes out pass, fail, not exercised (or advice), with the events as evidence.

The same report prints as text, JSON or JUnit XML (for CI dashboards); ``mockpartners report`` exits
non-zero when a rule of severity ``error`` fails.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from .config import ContractRule, EventMatcher, Profile
from .journal import Event, Journal, Query

__all__ = ["ContractReport", "RuleResult", "evaluate"]

_EVIDENCE_SHOWN = 10


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


@dataclass(frozen=True)
class ContractReport:
    results: tuple[RuleResult, ...]
    after: int = 0
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def passed(self) -> bool:
        """No rule of severity error failed (not exercised and advice do not fail a report)."""
        return all(result.status != "fail" for result in self.results)

    def __add__(self, other: ContractReport) -> ContractReport:
        return ContractReport(self.results + other.results, min(self.after, other.after))

    def to_dict(self) -> dict[str, Any]:
        counts = {status: 0 for status in ("pass", "fail", "not-exercised", "advice")}
        for result in self.results:
            counts[result.status] += 1
        return {
            "passed": self.passed,
            "generated_at": self.generated_at,
            "after": self.after,
            "counts": counts,
            "results": [result.to_dict() for result in self.results],
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
                lines.extend(f"         {event}" for event in result.evidence[:_EVIDENCE_SHOWN])
        verdict = "contract kept" if self.passed else "contract broken"
        lines.append(
            f"{verdict}: "
            + ", ".join(f"{count} {status}" for status, count in self.to_dict()["counts"].items())
        )
        return "\n".join(lines) + "\n"

    def to_junit(self) -> str:
        """JUnit XML: a test suite per partner, a test case per rule (not exercised: skipped)."""
        root = ElementTree.Element("testsuites", name="mockpartners contract")
        for partner in dict.fromkeys(result.partner for result in self.results):
            results = [result for result in self.results if result.partner == partner]
            suite = ElementTree.SubElement(
                root,
                "testsuite",
                name=f"{partner} contract",
                tests=str(len(results)),
                failures=str(sum(result.status == "fail" for result in results)),
                skipped=str(sum(result.status == "not-exercised" for result in results)),
                timestamp=self.generated_at,
            )
            for result in results:
                case = ElementTree.SubElement(
                    suite, "testcase", classname=f"mockpartners.{partner}", name=result.rule
                )
                evidence = "\n".join(str(event) for event in result.evidence)
                if result.status == "fail":
                    failure = ElementTree.SubElement(
                        case, "failure", message=result.summary, type="ContractViolation"
                    )
                    failure.text = f"{result.description} ({result.reference})\n{evidence}"
                elif result.status == "not-exercised":
                    ElementTree.SubElement(case, "skipped", message=result.summary)
                elif result.status == "advice":
                    ElementTree.SubElement(case, "system-out").text = f"advice: {result.summary}\n{evidence}"
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

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
            lines.extend(f"    {event}" for event in result.evidence[:_EVIDENCE_SHOWN])
        return "\n".join(lines)


def evaluate(journal: Journal, profile: Profile, *, after: int = 0) -> ContractReport:
    """Check every rule of ``profile.contract`` over the partner's events recorded after event ``after``."""
    events = journal.events(Query(partner=profile.name, after=after))
    return ContractReport(
        tuple(_check(profile.name, name, rule, events) for name, rule in profile.contract.items()), after
    )


def _check(partner: str, name: str, rule: ContractRule, events: Sequence[Event]) -> RuleResult:
    def result(status: str, summary: str, evidence: Iterable[Event] = ()) -> RuleResult:
        return RuleResult(
            partner, name, rule.description, rule.reference, rule.severity, status, summary, tuple(evidence)
        )

    if rule.check == "forbidden":
        exercised = _exercised(rule, events)
        broken = [event for event in events if any(_matches(matcher, event) for matcher in rule.match)]
        if broken:
            return result(_failed(rule), f"{len(broken)} forbidden event(s)", broken)
        return (
            result("pass", "no forbidden event")
            if exercised
            else result("not-exercised", "nothing to check yet")
        )
    if rule.check == "uploads-only-in":
        uploads = [event for event in events if _is_upload(event)]
        outside = [event for event in uploads if not _inside(event.path, rule.folders)]
        if not uploads:
            return result("not-exercised", "no upload")
        if outside:
            return result(
                _failed(rule), f"{len(outside)} upload(s) outside {', '.join(rule.folders)}", outside
            )
        return result("pass", f"{len(uploads)} upload(s), all in {', '.join(rule.folders)}")
    fetched = _last_fetches(events, rule.folders)
    if not fetched:
        return result("not-exercised", "no file fetched")
    if rule.check == "fetched-then-removed":
        left = [event for event in fetched if not _removed_after(event, events)]
        if left:
            return result(_failed(rule), f"{len(left)} fetched file(s) never removed", left)
        return result("pass", f"{len(fetched)} fetched file(s), all removed")
    not_moved = [event for event in fetched if not _removed_after(event, events, to=rule.to)]
    if not_moved:
        return result(
            _failed(rule), f"{len(not_moved)} fetched file(s) not moved to {', '.join(rule.to)}", not_moved
        )
    return result("pass", f"{len(fetched)} fetched file(s), all moved to {', '.join(rule.to)}")


def _failed(rule: ContractRule) -> str:
    return "fail" if rule.severity == "error" else "advice"


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
    if matcher.folders and not _inside(event.path, matcher.folders):
        return False
    if matcher.outcomes and event.outcome not in matcher.outcomes:
        return False
    return all(event.detail.get(key) in values for key, values in matcher.detail.items())


def _inside(path: str | None, folders: Sequence[str]) -> bool:
    folder = posixpath.dirname((path or "").strip("/"))
    return any(folder == candidate or folder.startswith(candidate + "/") for candidate in folders)


def _is_upload(event: Event) -> bool:
    return event.kind == "fs.open" and event.detail.get("mode") in ("write", "append")


def _last_fetches(events: Sequence[Event], folders: Sequence[str]) -> list[Event]:
    """The last complete download of each file in ``folders`` (SFTP read handles, FTP RETR)."""
    latest: dict[str, Event] = {}
    for event in events:
        complete = event.detail.get("complete", True) is not False
        read = event.kind == "fs.close" and event.detail.get("mode") == "read" and event.outcome == "ok"
        if read and complete and event.path and _inside(event.path, folders):
            latest[event.path] = event
    return list(latest.values())


def _removed_after(fetch: Event, events: Sequence[Event], to: Sequence[str] = ()) -> bool:
    for event in events:
        if event.id <= fetch.id or event.path != fetch.path or event.outcome != "ok":
            continue
        if event.kind == "fs.rename" and (not to or _inside(str(event.detail.get("target", "")), to)):
            return True
        if event.kind == "fs.remove" and not to:
            return True
    return False
