"""How the journal's rows reach SQLite without ever stopping the servers that record them.

Every protocol operation is journalled, so a journal that raises would break the very sessions it
describes. Rows get their ids here, in order, and are kept in memory while the file cannot take them (its
disk is full): the failure is reported once, the servers keep serving, and the rows are written, with their
ids, as soon as the file takes them again. A journal that reaches its size limit drops its oldest tenth
(journalled as ``journal.trimmed``), so that nothing a client sends, however many requests, fills the disk.
"""

from __future__ import annotations

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
        self._failing: str | None = None
        self.lost = 0
        self._max_pages = None
        if limit is not None:
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            self._max_pages = max(limit // page_size, 16)
            db.execute(f"PRAGMA max_page_count = {self._max_pages}")

    @property
    def pending(self) -> int:
        """Rows recorded but not yet in the file."""
        return len(self._pending)

    @property
    def failing(self) -> str | None:
        """Why the file takes no rows now (None when it does)."""
        return self._failing

    def insert(self, values: Sequence[Any]) -> int:
        """Give the row (every column but the id) its id, write it (and any row held before it) if the file
        takes it, or hold it; the id either way."""
        row_id = self._next_id
        self._next_id += 1
        if len(self._pending) >= _PENDING_LIMIT:
            self.lost += 1
            return row_id
        self._pending.append((row_id, *values))
        self.flush()
        return row_id

    def flush(self) -> None:
        """Write the rows held in memory, oldest first, while the file takes them."""
        while self._pending:
            try:
                self._db.execute(_INSERT, self._pending[0])
            except sqlite3.Error as error:
                if isinstance(error, sqlite3.OperationalError) and self._at_limit() and self._trim():
                    continue
                self._report(error)
                return
            self._pending.popleft()
        if self._failing is not None:
            log.warning("journal: writing again; every event held in memory is now in the file")
            self._failing = None

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
