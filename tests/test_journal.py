"""The SQLite journal: record, query, wait without sleeping, and a helpful timeout."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mockpartners import Clock, Journal, Partner, Query
from mockpartners.model.errors import JournalTimeout, StateError


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.sqlite3", Clock())


def test_events_keep_their_fields_and_details(journal: Journal) -> None:
    recorded = journal.record(
        "fs.close",
        partner="onss",
        protocol="sftp",
        session="s1",
        account="EXP1",
        client="127.0.0.1:5000",
        path="IN/a.xml",
        bytes_written=12,
        complete=True,
    )
    (event,) = journal.events()
    assert event == recorded
    assert (event.kind, event.partner, event.account, event.path) == ("fs.close", "onss", "EXP1", "IN/a.xml")
    assert event.detail == {"bytes_written": 12, "complete": True}
    assert event.to_dict()["detail"]["bytes_written"] == 12
    assert "fs.close IN/a.xml ok bytes_written=12" in str(event)


def test_queries_filter_by_kind_prefix_and_cursor(journal: Journal) -> None:
    first = journal.record("fs.open", partner="onss", path="IN/a")
    journal.record("fs.close", partner="onss", path="IN/a")
    journal.record("auth.attempt", partner="magda", outcome="refused")
    assert [event.kind for event in journal.events(kind="fs.*")] == ["fs.open", "fs.close"]
    assert [event.kind for event in journal.events(Query(after=first.id))] == ["fs.close", "auth.attempt"]
    assert [event.partner for event in journal.events(outcome="refused")] == ["magda"]
    assert [event.kind for event in journal.events(limit=1)] == ["auth.attempt"]


def test_wait_for_returns_at_once_when_the_event_is_already_there(journal: Journal) -> None:
    recorded = journal.record("partner.answer", partner="onss", path="IN/a")
    assert journal.wait_for(kind="partner.answer", path="IN/a", timeout=0.01) == recorded


def _record_soon(journal: Journal, path: str) -> threading.Thread:
    """Another thread records an answer for ``path`` while this one waits (join the thread afterwards)."""
    thread = threading.Thread(target=lambda: journal.record("partner.answer", partner="onss", path=path))
    thread.start()
    return thread


def test_wait_for_wakes_when_another_thread_records(journal: Journal) -> None:
    thread = _record_soon(journal, "IN/b")
    event = journal.wait_for(kind="partner.answer", path="IN/b", timeout=5)
    thread.join()
    assert event.path == "IN/b"


def test_timeout_message_shows_what_happened_instead(journal: Journal) -> None:
    journal.record("fs.close", partner="onss", path="IN/a.xml.filepart")
    with pytest.raises(JournalTimeout) as error:
        journal.wait_for(kind="partner.answer", partner="onss", path="IN/a.xml", timeout=0.05)
    message = str(error.value)
    assert "no journal event matched kind='partner.answer', partner='onss', path='IN/a.xml'" in message
    assert "fs.close IN/a.xml.filepart" in message


def test_a_window_sees_only_what_follows_its_start(journal: Journal) -> None:
    before = journal.record("partner.answer", partner="onss", path="IN/a")
    window = journal.since(before.id)
    assert window.events(kind="partner.answer") == []
    assert window.events(Query(kind="partner.answer", after=0)) == []  # a cursor never reaches back
    later = window.record("partner.answer", partner="onss", path="IN/a")
    assert window.wait_for(kind="partner.answer", timeout=0.01) == later
    assert journal.events(kind="partner.answer") == [before, later]  # the same file, seen whole
    assert window.last_id() == journal.last_id() == later.id
    window.start = later.id  # a partner's window moves on at each reset
    with pytest.raises(JournalTimeout) as error:
        window.wait_for(kind="partner.answer", timeout=0.05)
    assert "holds no event for this partner" in str(error.value)  # the newest events shown are its own


def test_a_window_wakes_on_what_the_whole_journal_records(journal: Journal) -> None:
    window = journal.since(journal.last_id())
    thread = _record_soon(journal, "IN/c")
    assert window.wait_for(kind="partner.answer", timeout=5).path == "IN/c"
    thread.join()


def test_a_bound_journal_adds_its_fields_to_what_it_records(journal: Journal) -> None:
    """What a partner, its processors and sessions record carries the partner without saying so."""
    onss = journal.bind(partner="onss")
    window = onss.bind(account="EXP1").since(journal.last_id())
    marked = window.record("test.mark", path="IN/a")
    other = window.record("test.mark", account="EXP2")
    assert (marked.partner, marked.account, marked.path) == ("onss", "EXP1", "IN/a")
    assert (other.partner, other.account) == ("onss", "EXP2")  # a field given wins over the bound one
    assert journal.record("test.mark").partner is None  # the journal it was bound from is unchanged
    assert [event.account for event in onss.events(kind="test.mark")] == ["EXP1", "EXP2", None]


def test_a_partners_events_carry_its_name_from_every_side(onss: Partner) -> None:
    """The partner's own events, its scenarios' and its account book's are bound to it alike."""
    key = onss.account("EXP0000001").key
    assert key is not None
    start = onss.journal.last_id()
    onss.scenarios.on("reject-requests")
    onss.accounts.create("EXP0000009", public_keys=[Path(key.public_key).read_text()])
    onss.files("EXP0000001").drop("OUT/A.xml", b"<a/>")
    kinds = {event.kind: event.partner for event in onss.journal.events(after=start)}
    assert {"scenario.on", "account.created", "partner.drop"} <= kinds.keys(), kinds
    assert set(kinds.values()) == {"onss"}


def test_a_second_process_reads_the_journal(tmp_path: Path, journal: Journal) -> None:
    journal.record("suite.start")
    reader = Journal(journal.path, read_only=True)
    assert [event.kind for event in reader.events()] == ["suite.start"]
    journal.record("suite.stop")
    assert reader.wait_for(kind="suite.stop", timeout=2).kind == "suite.stop"


def test_a_corrupt_journal_is_a_clear_error_and_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="cannot use it as an SQLite journal"):
        Journal(path)
    assert path.read_bytes() == b"this is not a database" * 100


def test_a_sessions_bookkeeping_reaches_other_processes_moments_later_and_the_rest_at_once(
    journal: Journal,
) -> None:
    """docs/journal.md, "When events reach the file": what a reader of the file sees, and when."""
    reader = Journal(journal.path, read_only=True)
    connected = journal.record("session.connect", partner="onss", session="s1")
    assert journal.events(kind="session.connect") == [connected], "this process sees it at once"
    closed = journal.record("fs.close", partner="onss", session="s1", path="IN/a.xml", complete=True)
    assert [event.id for event in reader.events()] == [connected.id, closed.id], "committed with fs.close"
    left = journal.record("session.disconnect", partner="onss", session="s1")
    assert reader.wait_for(Query(kind="session.disconnect"), timeout=5).id == left.id
    reader.close()
    journal.close()
