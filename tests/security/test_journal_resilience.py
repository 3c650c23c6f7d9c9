"""Item 1 of the hardening issue, the journal's part: it stays writable, and never stops the servers.

On a full disk the session's close and disconnect events never reached the journal ("database or disk is
full"). Now rows are held in memory while the file takes none, reported once, and written in order as soon
as there is room; and a journal at its size limit drops its oldest events, so that a flood of requests
never fills the disk either.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mockpartners import Journal
from tests.security.conftest import fill


def test_a_full_disk_holds_events_in_memory_and_writes_them_later(
    small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal = Journal(small_disk / "journal.sqlite3")
    first = journal.record("session.connect", partner="onss")
    filler = fill(small_disk)
    with caplog.at_level(logging.ERROR, logger="mockpartners.infra.journal"):
        held = [
            journal.record("fs.stat", partner="onss", path=f"IN/{n}", padding="x" * 4000) for n in range(50)
        ]
    assert [event.id for event in held] == list(range(first.id + 1, first.id + 51))
    health = journal.health()
    assert health["failing"] and "full" in health["failing"] and health["pending"] > 0
    assert len([record for record in caplog.records if "cannot write events" in record.message]) == 1

    filler.unlink()
    last = journal.record("session.disconnect", partner="onss")
    assert journal.health() == {"failing": None, "pending": 0, "lost": 0}
    written = [event.id for event in journal.events()]
    assert written == list(range(first.id, last.id + 1)), "every event, in order, none lost"
    journal.close()


def test_a_journal_at_its_limit_drops_its_oldest_events(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3", limit=512 * 1024)
    for number in range(3000):
        journal.record("fs.stat", partner="onss", path=f"IN/{number}", padding="x" * 500)
    assert (tmp_path / "journal.sqlite3").stat().st_size <= 600 * 1024
    trimmed = journal.events(kind="journal.trimmed")
    assert trimmed and all(event.detail["dropped"] > 0 for event in trimmed)
    newest = journal.events(kind="fs.stat", limit=1)[0]
    assert newest.path == "IN/2999" and journal.health()["failing"] is None
    journal.close()
