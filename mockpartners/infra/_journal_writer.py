"""How the journal's rows reach SQLite without ever stopping the servers that record them.

Every protocol operation is journalled, so a journal that raises would break the very sessions it
describes. Rows get their ids here, in order, and are kept in memory while the file cannot take them (its
disk is full): the failure is reported once, the servers keep serving, and the rows are written, with their
ids, as soon as the file takes them again. A journal that reaches its size limit drops its oldest tenth
(journalled as ``journal.trimmed``), so that nothing a client sends, however many requests, fills the disk.

Rows are written in transactions: a row recorded ``durable`` commits itself and every row before it at once;
the others (a session's bookkeeping) wait, visible to this process at once, for the next durable row or
:meth:`JournalWriter.commit` a moment later. One commit per row was most of an event's cost (90 us against
4 us inside a transaction); rows stay in memory until their transaction is committed, so a commit that fails
(a full disk) loses none of them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

__all__ = ["DEFAULT_LIMIT", "JournalWriter"]

log = logging.getLogger("mockpartners.infra.journal")

DEFAULT_LIMIT = 2**30
"""Bytes the journal file may hold before its oldest events make room for new ones."""
_PENDING_LIMIT = 100_000
"""Rows kept in memory while the file takes none; beyond, new rows are counted as lost."""
_TRIMMED_SHARE = 10
"""When the journal is at its limit, one row in this many (the oldest) makes room."""
_INSERT = (
    "INSERT INTO events (id, time, wall_time, partner, protocol, session, account, client, kind, path,"
    " outcome, ref, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class JournalWriter:
    """Writes rows to one open journal; its methods run under the journal's lock."""

    def __init__(self, db: sqlite3.Connection, limit: int | None = DEFAULT_LIMIT) -> None:
        self._db = db
        self._next_id = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]) + 1
        self._pending: deque[tuple[Any, ...]] = deque()
        self._uncommitted: list[tuple[Any, ...]] = []
        """Rows written in the open transaction: back to ``_pending`` if it cannot be committed."""
        self._failing: str | None = None
        self.lost = 0
        self._max_pages = None
        if limit is not None:
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            self._max_pages = max(limit // page_size, 16)
            db.execute(f"PRAGMA max_page_count = {self._max_pages}")

    @property
    def pending(self) -> int:
        """Rows recorded but held in memory (rows written but not yet committed are not counted: they are
        committed within moments, or held again if they cannot be)."""
        return len(self._pending)

    @property
    def failing(self) -> str | None:
        """Why the file takes no rows now (None when it does)."""
        return self._failing

    def insert(self, values: Sequence[Any], *, durable: bool = True) -> int:
        """Give the row (every column but the id) its id, write it (and any row held before it) if the file
        takes it, or hold it; the id either way. ``durable``: committed before this returns."""
        row_id = self._next_id
        self._next_id += 1
        if len(self._pending) >= _PENDING_LIMIT:
            self.lost += 1
            return row_id
        self._pending.append((row_id, *values))
        self.flush(durable=durable or self._failing is not None)  # held rows: written as soon as it can
        return row_id

    def flush(self, *, durable: bool = True) -> None:
        """Write the rows held in memory, oldest first, while the file takes them; commit if ``durable``."""
        while self._pending:
            try:
                if not self._db.in_transaction:
                    self._db.execute("BEGIN")
                self._db.execute(_INSERT, self._pending[0])
            except sqlite3.Error as error:
                if isinstance(error, sqlite3.OperationalError) and self._at_limit() and self._trim():
                    continue
                self._report(error)
                self._roll_back()
                return
            self._uncommitted.append(self._pending.popleft())
        if durable:
            self.commit()

    def commit(self) -> None:
        """Commit the open transaction (the rows written since the last commit), or hold its rows again."""
        if self._db.in_transaction:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._report(error)
                self._roll_back()
                return
        self._uncommitted.clear()
        if self._failing is not None and not self._pending:
            log.warning("journal: writing again; every event held in memory is now in the file")
            self._failing = None

    def _roll_back(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
        self._pending.extendleft(reversed(self._uncommitted))
        self._uncommitted.clear()

    def _at_limit(self) -> bool:
        if self._max_pages is None:
            return False
        pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
        free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
        return pages - free >= self._max_pages - 2

    def _trim(self) -> bool:
        """Drop the oldest tenth of the events to make room; False when nothing could be dropped."""
        total = int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])
        dropped = max(total // _TRIMMED_SHARE, 1)
        try:
            last = self._db.execute(
                "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?", (dropped - 1,)
            ).fetchone()
            if last is None:
                return False
            self._db.execute("DELETE FROM events WHERE id <= ?", (last[0],))
        except sqlite3.Error:
            return False
        stamp, wall_time = self._pending[0][
            1:3
        ]  # the journal's own event, dated like the one it makes room for
        detail = json.dumps({"dropped": dropped, "oldest_kept": int(last[0]) + 1})
        note = (stamp, wall_time, None, None, None, None, None, "journal.trimmed", None, "ok", None, detail)
        self._pending.append((self._next_id, *note))
        self._next_id += 1
        log.warning("journal: at its size limit; the oldest %d events were dropped to make room", dropped)
        return True

    def _report(self, error: sqlite3.Error) -> None:
        if self._failing is None:
            self._failing = str(error)
            log.error(
                "journal: cannot write events (%s); they are kept in memory and written when it can "
                "(the servers keep serving)",
                error,
            )
