"""One account can never list, read, write, rename into or out of, delete or stat another account's files.

The partner grants every right in every folder, so nothing but the homes' separation stands in the way.
Account B uploads a request the usual way (its answer lands in its home) and has private files; then
account A tries every operation of its protocol (see drivers.py) on B's files and folders, through every way
of spelling a path that could lead there. Whatever A does stays in A's home: nothing of B's comes back, B's
home stays byte for byte as it was, A's refusals are journalled, and B is served as before.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mockpartners.app.pytest_plugin import SuiteFactory
from tests.reliability.drivers import Driver, FtpsDriver, SftpDriver, try_everything
from tests.reliability.planted import Planted
from tests.reliability.sessions import answered, inbox_and_answers, unrestricted


def spellings(mine: Path, theirs: Path, target: str) -> list[str]:
    """Every way of writing a path that could lead from my home to ``target`` in theirs."""
    relative = f"{theirs.name}/{target}".rstrip("/")
    return [
        f"../{relative}",
        f"/../{relative}",
        f"/../../../{theirs.parent.name}/{relative}",
        f"./../{relative}",
        f"{target or '.'}/../../{relative}",
        f"//../{relative}",
        "..\\" + relative.replace("/", "\\"),
        f"%2e%2e/{relative}",
        f"\uff0e\uff0e/{relative}",
        f"~{relative}",
        f"{theirs}/{target}",
        f"{mine}/../{relative}",
        f"/proc/self/root{theirs}/{target}",
        relative,
        f"/{relative}",
    ]


@pytest.mark.parametrize(
    ("name", "kind"), [("onss", SftpDriver), ("magda", FtpsDriver)], ids=["sftp", "ftps"]
)
def test_one_account_never_reaches_another(mockpartners: SuiteFactory, name: str, kind: type[Driver]) -> None:
    partner = unrestricted(mockpartners, name)
    a, b = (account.username for account in partner.info().accounts)
    inbox, answers = inbox_and_answers(partner)
    answer = answered(partner, "FROM-B.xml", b).detail["answer"]  # B's own traffic, in B's home
    planted = Planted.around(partner, a, b)
    planted = dataclasses.replace(
        planted, forbidden_data=(*planted.forbidden_data, partner.files(b).read(answer))
    )
    before = planted.outside()  # B's home included, contents and times
    cursor = partner.journal.last_id()
    targets = [answer, planted.private, answers, inbox, ""]

    driver = kind(partner, a)
    attempts = refused = 0
    try:
        for target in targets:
            for path in spellings(planted.home, planted.other_home, target):
                refused += try_everything(driver, planted, path, "STOLEN.xml", before)
                attempts += 1
    finally:
        driver.close()

    assert refused > attempts  # most operations are refused (the rest created A's own files)
    events = partner.journal.events(kind="fs.*", account=a, after=cursor)
    assert len([event for event in events if event.outcome in ("refused", "failed")]) >= refused
    assert partner.journal.events(kind="fs.*", account=b, after=cursor) == []
    assert answered(partner, "STILL-B.xml", b).kind == "partner.answer"
