"""A reset leaves nothing of what came before that a test could see: what the shared pytest fixtures rely on
between two tests (docs/journal.md, "Whose events")."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mockpartners import Partner, Query
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import JournalTimeout


def test_a_pickup_planned_before_a_reset_never_fires(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", "magda", settings=["onss.pickup.delay=10m", "magda.pickup.delay=10m"])
    onss, magda = suite["onss"], suite["magda"]
    suite.clock.freeze()
    onss.files().drop("IN/DMFA.123456.20261121.xml", "<dmfa/>")
    magda.files().drop("to_vip/REQUEST.xml", "<request/>")
    assert (onss.scheduler.pending(), magda.scheduler.pending()) == (1, 2)  # magda also sweeps (retention)

    onss.reset()
    assert onss.scheduler.pending() == 0
    suite.clock.advance("10m")
    assert magda.wait_for_answer("to_vip/REQUEST.xml").kind == "partner.answer", "only onss was reset"
    onss.wait_until_idle()
    assert suite.journal is not None
    after_reset = suite.journal.events(Query(kind="partner.*", partner="onss", after=onss.window_start()))
    assert after_reset == []


def test_the_partner_journal_starts_at_its_latest_reset(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss")
    onss = suite["onss"]
    before = onss.files().drop("IN/BEFORE.xml", "<x/>")
    assert onss.journal.events(kind="partner.drop") == [before]  # never reset: everything

    onss.reset()
    assert onss.journal.events(kind="partner.drop") == []
    after = onss.files().drop("IN/AFTER.xml", "<x/>")
    assert onss.journal.wait_for(kind="partner.drop") == after
    assert suite.journal is not None
    assert suite.journal.events(kind="partner.drop") == [before, after]  # the suite's journal: everything
    reset = suite.journal.events(kind="partner.reset")[-1]
    assert onss.window_start() == reset.id
    with pytest.raises(JournalTimeout) as waited:  # out of the partner's journal, and of what it shows
        onss.journal.wait_for(kind="partner.drop", path="IN/BEFORE.xml", timeout=0.05)
    newest = str(waited.value).split("newest events were:")[1]
    assert "partner.drop IN/AFTER.xml" in newest and "IN/BEFORE.xml" not in newest


def test_a_reset_empties_every_folder_and_gives_back_the_fresh_ones(onss: Partner) -> None:
    home = Path(onss.account().home)
    fresh = sorted(str(path.relative_to(home)) for path in home.rglob("*"))
    (home / "IN" / "LEFT.xml").write_text("<x/>")
    (home / "IN" / "made-by-a-client").mkdir()
    (home / "OUT").chmod(0o700)
    (home / "INTEST").rmdir()
    os.symlink("/etc", home / "OUT" / "a-link")
    onss.scenarios.count("fail-nth-write")

    onss.reset()
    assert sorted(str(path.relative_to(home)) for path in home.rglob("*")) == fresh
    assert stat.S_IMODE((home / "OUT").stat().st_mode) == stat.S_IMODE((home / "IN").stat().st_mode)
    assert onss.scenarios.count("fail-nth-write") == 1, "counts start over"
    assert Path("/etc").is_dir()
