"""The journal: every wire operation and every partner-side action, as rows in SQLite.

Tests and scripts never sleep: they wait on the journal (``wait_for``), which wakes the moment a matching
event is recorded in this process, and polls the file when another process (``mockpartners up``) writes it.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..model.errors import JournalTimeout, StateError
from ._journal_events import COLUMNS, Event, Query, event_from_row
from ._journal_writer import DEFAULT_LIMIT, JournalWriter
from .clock import Clock

__all__ = ["Event", "Journal", "Query"]

log = logging.getLogger("mockpartners.infra.journal")
_RETRY_SECONDS = 1.0
"""How often a journal whose file takes no rows tries again."""
_COMMIT_SECONDS = 0.02
"""How soon an event that is not committed at once (:data:`_LATER`) reaches the file for other processes."""
_LATER = frozenset(
    {"session.connect", "auth.attempt", "session.login", "http.request", "session.disconnect"}
    | {"smtp.mail", "smtp.rcpt", "smtp.starttls", "smtp.message"}
)
"""A session's bookkeeping: committed with the next event, or within :data:`_COMMIT_SECONDS`. Nothing a
restart recovers from depends on them (a disconnect the file lacks only makes the session look interrupted,
and its uploads' ``fs.open``/``fs.close`` are committed at once); every other event is committed before
:meth:`Journal.record` returns: a client is never told of a file the journal could lose to a ``kill -9``."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    wall_time REAL NOT NULL,
    partner TEXT,
    protocol TEXT,
    session TEXT,
    account TEXT,
    client TEXT,
    kind TEXT NOT NULL,
    path TEXT,
    outcome TEXT NOT NULL DEFAULT 'ok',
    ref INTEGER,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind);
CREATE INDEX IF NOT EXISTS events_partner_path ON events(partner, path);
CREATE INDEX IF NOT EXISTS events_ref ON events(ref);
CREATE INDEX IF NOT EXISTS events_session ON events(session);
"""


@dataclass
class _Shared:
    """What a journal and its windows share besides the file: writes counted, the retry timer, closed."""

    written: int = 0
    retry: threading.Timer | None = None
    closed: bool = False
    commit_due: threading.Event = field(default_factory=threading.Event)
    committer: threading.Thread | None = None


class Journal:
    """The SQLite journal of a state directory; thread-safe, one writer process at a time.

    A window (:meth:`since`) is the same journal seen from an event on: what a partner's tests see after
    a reset (docs/journal.md, "Whose events").
    """

    def __init__(
        self,
        path: Path,
        clock: Clock | None = None,
        *,
        read_only: bool = False,
        limit: int | None = DEFAULT_LIMIT,
    ) -> None:
        """``limit``: bytes the file may hold before its oldest events make room (None: no limit)."""
        self.path = path
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._shared = _Shared()
        self.start = 0
        """Events up to this id are out of view (a window, :meth:`since`); 0 for the whole journal."""
        self._bound: dict[str, str] = {}
        try:
            if read_only:
                self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            else:
                self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
            self._db.execute("SELECT count(*) FROM events").fetchone()
            self._writer = None if read_only else JournalWriter(self._db, limit)
        except sqlite3.Error as error:
            raise StateError(
                f"journal {path}: cannot use it as an SQLite journal ({error}); "
                "move it away to start a new one, or restore it"
            ) from None

    def record(self, kind: str, **fields: Any) -> Event:
        """Append one event with the fields this journal is bound to (:meth:`bind`); wake every waiter."""
        return self._append(kind, **{**self._bound, **fields})

    def bind(self, **fields: str) -> Journal:
        """This journal, adding ``fields`` to every event it records (``partner="onss"``): what a partner,
        its processors and sessions record needs no ``partner=`` of their own. A field given at
        :meth:`record` wins over the bound one; queries are unchanged."""
        bound = copy.copy(self)  # the same connection, locks, writer and _Shared
        bound._bound = {**self._bound, **fields}
        return bound

    def _append(
        self,
        kind: str,
        *,
        partner: str | None = None,
        protocol: str | None = None,
        session: str | None = None,
        account: str | None = None,
        client: str | None = None,
        path: str | None = None,
        outcome: str = "ok",
        ref: int | None = None,
        **detail: Any,
    ) -> Event:
        moment = self.clock.now()
        text = json.dumps(detail, default=str, ensure_ascii=False)
        row = (moment.isoformat(), time.time(), partner, protocol, session, account, client, kind, path)
        with self._recorded:
            if self._writer is None:
                raise StateError(f"journal {self.path} was opened read-only")
            durable = kind not in _LATER
            row_id = self._writer.insert((*row, outcome, ref, text), durable=durable)
            self._shared.written += 1
            self._recorded.notify_all()
            if not durable:
                self._commit_soon()
            if self._writer.failing is not None and self._shared.retry is None:
                self._retry_later()
        return Event(
            row_id,
            moment,
            kind,
            partner,
            protocol,
            session,
            account,
            client,
            path,
            outcome,
            ref,
            json.loads(text),
        )

    def since(self, start: int) -> Journal:
        """This journal seen after event ``start``: ``events``, ``wait_for`` and ``follow`` skip what came
        before; ``last_id`` and the questions about history (interrupted sessions, unanswered arrivals) see
        it whole. It writes to the same file; its ``start`` may move on (a partner's, at each reset)."""
        window = copy.copy(self)  # the connection, locks, writer and _Shared are the same objects
        window.start = start
        return window

    def _in_view(self, query: Query) -> Query:
        return query if query.after >= self.start else replace(query, after=self.start)

    def events(self, query: Query | None = None, *, limit: int | None = None, **filters: Any) -> list[Event]:
        """Matching events, oldest first; ``limit`` keeps the newest ones."""
        query = self._in_view(query or Query(**filters))
        where, values = query.sql()
        order = "DESC" if limit else "ASC"
        sql = f"SELECT {', '.join(COLUMNS)} FROM events WHERE {where} ORDER BY id {order}"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(sql, values).fetchall()
        found = [event_from_row(row) for row in rows]
        return found[::-1] if limit else found

    def unanswered_arrivals(self, partner: str, follow_up_kinds: Sequence[str]) -> list[Event]:
        """Events that brought a file into an inbox (detail ``arrival``) and that no follow-up refers to."""
        marks = ", ".join("?" for _ in follow_up_kinds)
        sql = (
            f"SELECT {', '.join(COLUMNS)} FROM events e WHERE e.partner = ?"
            " AND json_extract(e.detail, '$.arrival') IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM events f WHERE f.ref = e.id"
            f" AND f.kind IN ({marks})) ORDER BY e.id"
        )
        with self._lock:
            rows = self._db.execute(sql, [partner, *follow_up_kinds]).fetchall()
        return [event_from_row(row) for row in rows]

    def interrupted_sessions(self, partner: str) -> list[tuple[str, list[Event]]]:
        """Sessions that never ended (the server was killed), each with its uploads left open."""
        with self._lock:
            sessions = [
                row[0]
                for row in self._db.execute(
                    "SELECT session FROM events WHERE partner = ? AND kind = 'session.connect'"
                    " AND session NOT IN"
                    " (SELECT session FROM events WHERE partner = ? AND kind = 'session.disconnect'"
                    " AND session IS NOT NULL) ORDER BY id",
                    (partner, partner),
                ).fetchall()
            ]
        found = []
        for session in sessions:
            opened: dict[str, Event] = {}
            for event in self.events(Query(kind=["fs.open", "fs.close"], session=session)):
                if event.kind == "fs.open" and event.outcome == "ok" and event.detail.get("mode") != "read":
                    opened[event.path or ""] = event
                elif event.kind == "fs.close":
                    opened.pop(event.path or "", None)
            found.append((session, list(opened.values())))
        return found

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for ``predicate`` to hold, re-checking whenever an event is recorded (and every 50 ms)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JournalTimeout(f"timed out after {timeout:g} s waiting for {what}")
            with self._recorded:
                self._recorded.wait(min(remaining, 0.05))

    def last_id(self) -> int:
        """The id of the newest event (0 for an empty journal): a cursor for "events from now on"."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
        return int(row[0])

    def wait_for(self, query: Query | None = None, *, timeout: float = 5.0, **filters: Any) -> Event:
        """The first event matching, waiting up to ``timeout`` seconds for it to be recorded.

        Raises :class:`JournalTimeout` with the newest events in its message, to show what happened instead.
        """
        query = self._in_view(query or Query(**filters))
        found = self.next_event(query, timeout=timeout)
        if found is None:
            raise JournalTimeout(self._timeout_message(query, timeout))
        return found

    def next_event(self, query: Query, *, timeout: float) -> Event | None:
        """As :meth:`wait_for`, but None when nothing came: for callers that wait in slices and say their
        own message (the admin API's long polls, the live stream), so no timeout builds one for nothing."""
        query = self._in_view(query)
        deadline = time.monotonic() + timeout
        where, values = query.sql()
        sql = f"SELECT {', '.join(COLUMNS)} FROM events WHERE {where} ORDER BY id LIMIT 1"
        while True:
            with self._lock:
                seen = self._shared.written
                row = self._db.execute(sql, values).fetchone()
            if row is not None:
                return event_from_row(row)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            with self._recorded:
                if self._shared.written == seen:
                    # another process may write the file: poll it now and then
                    self._recorded.wait(min(remaining, 0.2))

    def follow(self, query: Query | None = None, *, poll: float = 0.2) -> Iterator[Event]:
        """Events as they are recorded, forever (the CLI's ``--follow``)."""
        cursor = self._in_view(query or Query())
        while True:
            batch = self.events(cursor)
            yield from batch
            if batch:
                cursor = Query(**{**cursor.__dict__, "after": batch[-1].id})
            else:
                time.sleep(poll)

    def _timeout_message(self, query: Query, timeout: float) -> str:
        recent = self.events(Query(partner=query.partner), limit=12)
        lines = [f"no journal event matched {query.describe()} within {timeout:g} s"]
        if recent:
            lines.append("newest events were:")
            lines.extend(f"  {event}" for event in recent)
        else:
            lines.append("the journal holds no event for this partner")
        return "\n".join(lines)

    def _commit_soon(self) -> None:
        """Have the committer thread commit what is written, within :data:`_COMMIT_SECONDS`."""
        shared = self._shared
        shared.commit_due.set()
        if shared.committer is None:
            shared.committer = threading.Thread(
                target=self._commit_loop, name="mockpartners-journal", daemon=True
            )
            shared.committer.start()

    def _commit_loop(self) -> None:
        shared = self._shared
        while not shared.closed:
            shared.commit_due.wait()
            time.sleep(_COMMIT_SECONDS)  # what else is recorded meanwhile goes in the same commit
            shared.commit_due.clear()
            with self._recorded:
                if shared.closed or self._writer is None:
                    return
                self._writer.commit()
                if self._writer.failing is not None and shared.retry is None:
                    self._retry_later()

    def _retry_later(self) -> None:
        """While the file takes no rows, try again every second even if nothing new is recorded."""
        retry = self._shared.retry = threading.Timer(_RETRY_SECONDS, self._flush_held)
        retry.daemon = True
        retry.start()

    def _flush_held(self) -> None:
        with self._recorded:
            self._shared.retry = None
            if self._writer is None or self._shared.closed:
                return
            self._writer.flush()
            self._recorded.notify_all()
            if self._writer.failing is not None:
                self._retry_later()

    def health(self) -> dict[str, Any]:
        """Whether events reach the file: ``failing`` (why not, or None), ``pending`` (held in memory),
        ``lost`` (beyond what memory holds)."""
        with self._lock:
            writer = self._writer
            if writer is None:
                return {"failing": None, "pending": 0, "lost": 0}
            return {"failing": writer.failing, "pending": writer.pending, "lost": writer.lost}

    def close(self) -> None:
        with self._lock:
            self._shared.closed = True
            if self._shared.retry is not None:
                self._shared.retry.cancel()
            self._shared.commit_due.set()  # the committer thread ends
            if self._writer is not None:
                self._writer.flush()
                if self._writer.pending or self._writer.lost:
                    lost = self._writer.pending + self._writer.lost
                    log.error("journal: %d events could not be written before the suite stopped", lost)
            self._db.close()
