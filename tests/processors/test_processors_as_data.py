"""Processors declared as data: a ``processors:`` list behaves as the ``pickup:`` shorthand, several pickups
share a partner, retention can be declared with its own interval, and a bad spec is one clear line."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.loading import PROCESSOR_KINDS, load_profile
from mockpartners.processors import PROCESSOR_CLASSES, PickupProcessor
from tests.clients import sftp_batch
from tests.running import COMMAND, error_line

TWO_PICKUPS = """\
extends: onss
pickup: null                 # the built-in shorthand gives way to the list below
processors:
  - kind: pickup
    inboxes: {IN: OUT}
    name_pattern: '^DMFA\\.'
    after_pickup: keep
    answers:
      accepted: {name: "${name}.ACK", content: "DmfA ${name} accepted\\n"}
      rejected: {name: "${name}.ERR", content: "DmfA ${name} rejected: ${reason}\\n"}
  - kind: pickup
    inboxes: {INTEST: OUTTEST}
    after_pickup: remove
    delay: 5m
    answers:
      accepted: {name: "${stem}.TEST.ACK", content: "test ${name} accepted\\n"}
"""


def _profile(tmp_path: Path, text: str, name: str = "partner.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _sftp_put(partner: Partner, local: Path, *remotes: str) -> None:
    """Upload ``local`` under each remote path with OpenSSH's sftp (one session)."""
    account = partner.account()
    commands = "".join(f"put {local} {remote}\n" for remote in remotes)
    result = sftp_batch(partner.endpoint(), account.username, commands, key=account.private_key)
    assert result.returncode == 0, result.stderr


def test_every_kind_the_schema_accepts_has_a_class_in_the_registry() -> None:
    assert set(PROCESSOR_CLASSES) == set(PROCESSOR_KINDS)
    assert [spec.kind for spec in load_profile("onss").processor_specs()] == ["pickup"]
    assert [spec.kind for spec in load_profile("magda").processor_specs()] == ["pickup", "retention"]


def test_a_processors_list_answers_as_the_pickup_shorthand(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path
) -> None:
    """ONSS's own pickup section, moved as it is into ``processors:``: the same client gets the same
    answers, word for word (the journal's ids aside)."""
    builtin = yaml.safe_load((resources.files("mockpartners") / "profiles" / "onss.yaml").read_text())
    spelled_out = {"extends": "onss", "pickup": None, "processors": [{"kind": "pickup", **builtin["pickup"]}]}
    path = _profile(tmp_path, yaml.safe_dump(spelled_out))
    partners = [mockpartners("onss")["onss"], mockpartners(profile_files=[path])["onss"]]
    assert partners[1].profile.pickup is None and len(partners[1].profile.processors) == 1

    answers = []
    for partner in partners:
        partner.clock.freeze(datetime(2026, 11, 21, 9, 30, tzinfo=UTC))
        _sftp_put(partner, request_file, "IN/", f"INTEST/{request_file.name}.filepart")
        taken = [
            partner.wait_for_answer(f"IN/{request_file.name}"),
            partner.wait_for_answer(f"INTEST/{request_file.name}.filepart"),
        ]
        files = partner.files()
        answers.append(
            [
                (event.kind, event.detail["answer"], _without_ids(files.read(event.detail["answer"])))
                for event in taken
            ]
        )
    assert answers[0] == answers[1]
    assert [kind for kind, _, _ in answers[1]] == ["partner.answer", "partner.reject"]


def _without_ids(answer: bytes) -> str:
    return re.sub(r"reference: \d+", "reference: N", answer.decode())


def test_two_pickups_on_two_inboxes_answer_each_by_its_own_rules(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path
) -> None:
    onss = mockpartners(profile_files=[_profile(tmp_path, TWO_PICKUPS)])["onss"]
    assert {"answers-late", "reject-requests"} <= set(onss.scenarios.specs), "offered: the partner answers"
    onss.clock.freeze()
    _sftp_put(onss, request_file, "IN/", "IN/other.xml", "INTEST/", "INTEST-S/")

    assert onss.wait_for_answer(f"IN/{request_file.name}").detail["answer"] == f"OUT/{request_file.name}.ACK"
    rejected = onss.wait_for_answer("IN/other.xml")
    assert rejected.kind == "partner.reject" and rejected.detail["answer"] == "OUT/other.xml.ERR"
    onss.wait_until_idle()
    assert onss.files().list("OUTTEST") == [], "the second pickup waits its own 5 minutes"

    onss.clock.advance("5m")
    test_answer = onss.wait_for_answer(f"INTEST/{request_file.name}")
    stem = request_file.name.removesuffix(".xml")
    assert test_answer.detail["answer"] == f"OUTTEST/{stem}.TEST.ACK"
    assert onss.files().read(test_answer.detail["answer"]) == f"test {request_file.name} accepted\n".encode()
    assert onss.files().list("INTEST") == [], "the second pickup removes what it took"
    assert onss.files().list("IN") == [request_file.name, "other.xml"], "the first one keeps them"
    onss.wait_until_idle()
    untaken = onss.journal.events(
        kind=["partner.pickup", "partner.ignore"], path=f"INTEST-S/{request_file.name}"
    )
    assert untaken == [] and not onss.watches("EXP0000001", f"INTEST-S/{request_file.name}")


def _crash_before_answering(self: PickupProcessor, ticket: object, *, resumed: bool = False) -> None:
    raise RuntimeError("simulated crash between pickup and answer")


def test_two_pickups_interrupted_before_their_answers_each_resume_their_own(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pickups keep their tickets in the partner's one spool; after a crash, each resumes its own
    request with its own answer template, once."""
    path = _profile(tmp_path, TWO_PICKUPS.replace("delay: 5m", "delay: 0s"))
    state = tmp_path / "state"
    mockpartners.allow_partner_errors()  # the crashes are journalled as partner.error, on purpose
    with monkeypatch.context() as patch:
        patch.setattr(PickupProcessor, "_answer", _crash_before_answering)
        first = mockpartners(profile_files=[path], state_dir=state)
        _sftp_put(first["onss"], request_file, "IN/", "INTEST/")
        for inbox in ("IN", "INTEST"):
            first["onss"].journal.wait_for(kind="partner.pickup", path=f"{inbox}/{request_file.name}")
        first["onss"].wait_until_idle()
        first.stop()

    onss = mockpartners(profile_files=[path], state_dir=state)["onss"]
    answers = [onss.wait_for_answer(f"{inbox}/{request_file.name}") for inbox in ("IN", "INTEST")]
    onss.wait_until_idle()
    stem = request_file.name.removesuffix(".xml")
    assert [answer.detail["answer"] for answer in answers] == [
        f"OUT/{request_file.name}.ACK",
        f"OUTTEST/{stem}.TEST.ACK",
    ]
    assert all(answer.detail["resumed"] for answer in answers)
    assert len(onss.journal.events(kind=["partner.answer", "partner.reject"])) == 2
    assert onss.journal.events(kind="partner.error", after=onss.window_start()) == []


@pytest.mark.parametrize(
    "retention",
    ["processors:\n  - kind: retention\n    check: 30d\n", "retention_check: 30d\n"],
    ids=["declared", "implied"],
)
def test_retention_sweeps_every_check_of_virtual_time(
    mockpartners: SuiteFactory, request_file: Path, tmp_path: Path, retention: str
) -> None:
    """ONSS keeps its ``pickup:`` shorthand and gains a retention, declared with its ``check`` or implied
    by a folder's retention with the top-level ``retention_check``: answers older than a week go, at the
    sweep every 30 days (not the default hourly one)."""
    folders = "folders:\n  OUT: {rights: [list, read, delete], retention: 1w}\n"
    path = _profile(tmp_path, "extends: onss\n" + folders + retention)
    onss = mockpartners(profile_files=[path])["onss"]
    onss.clock.freeze()
    _sftp_put(onss, request_file, "IN/")
    answer = onss.wait_for_answer(f"IN/{request_file.name}").detail["answer"]

    onss.clock.advance("8d")  # older than its retention, but the next sweep is 30 days after the start
    onss.wait_until_idle()
    assert onss.files().exists(answer)

    onss.clock.advance("22d")
    deleted = onss.journal.wait_for(kind="partner.retention", path=answer)
    assert deleted.detail["retention"] == "7d" and deleted.detail["age_days"] >= 30
    assert not onss.files().exists(answer)
    assert onss.files().list("IN") == [request_file.name], "IN has no retention"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "processors:\n  - kind: mail\n    to: x@example.org\n",
            "line 3: processors[0].kind: unknown kind 'mail'; known kinds: pickup, retention",
        ),
        (
            "processors:\n  - check: 1d\n",
            "line 3: processors[0].kind: missing: say which kind "
            "(known: pickup, retention, export, customer-server, file-states, deposits, tedeco, mail-intake)",
        ),
        (
            "processors:\n  kind: retention\n",
            "line 2: processors: expected a list",
        ),
        (
            "processors:\n  - kind: pickup\n    inboxes: {IN: OUT}\n"
            "    answers: {accepted: {name: A, content: B}}\n",
            "line 4: processors[0].inboxes.IN: inbox 'IN' is picked up twice, here and at pickup.inboxes.IN"
            " (one pickup per inbox)",
        ),
        (
            "processors:\n  - kind: retention\n    check: weekly\n",
            "line 4: processors[0].check: not a duration: 'weekly'",
        ),
        (
            "processors:\n  - kind: retention\n    check: 0s\n",
            "line 4: processors[0].check: expected at least 1s",
        ),
        (
            "processors:\n  - kind: retention\n",
            "line 3: processors[0]: a retention processor with nothing to delete: no folder has a retention",
        ),
    ],
)
def test_a_bad_processor_spec_is_one_clear_line(tmp_path: Path, written: str, expected: str) -> None:
    path = _profile(tmp_path, "extends: onss\n" + written)
    result = subprocess.run([*COMMAND, "check", str(path)], capture_output=True, text=True, timeout=60)
    assert f"invalid profile: {path}, {expected}" in error_line(result)
