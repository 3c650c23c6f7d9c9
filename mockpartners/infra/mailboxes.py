"""Each account's mailbox, as a POP3 server serves it: the suite outbox's messages addressed to the
account's mail address, less those the account deleted (POP3 ``DELE``, committed at ``QUIT``).

The outbox is the one store of every mail a partner sent (``mockpartners mail list`` shows them all); a
mailbox is a view of it, so an answer is both in the outbox and in the mailbox a client reads. Deletions are
kept in the partner's state directory (``mailboxes.json``): a message deleted stays gone across restarts,
as on a real server, while the outbox keeps it for the user's eyes. A reset of the partner empties its
mailboxes (what the outbox held before is not shown again), and leaves the outbox alone.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from .atomic import open_regular, write_atomically
from .journal import Journal
from .outbox import MailSummary, Outbox

__all__ = ["Mailboxes"]


class Mailboxes:
    """The mailboxes of one partner's accounts, over the suite's outbox."""

    def __init__(self, outbox: Outbox, hidden_file: Path, journal: Journal) -> None:
        self.outbox = outbox
        self.journal = journal
        self._hidden_file = hidden_file
        self._lock = threading.Lock()
        self._start = ""
        """Outbox ids up to this one are before the partner's latest reset: no mailbox shows them."""
        self._hidden: dict[str, set[str]] = self._load()

    def messages(self, address: str) -> list[MailSummary]:
        """The messages of the mailbox of ``address``, oldest first (outbox ids in order)."""
        key = address.casefold()
        with self._lock:
            hidden = set(self._hidden.get(key, ()))
        return [
            summary
            for summary in self.outbox.messages()
            if summary.id > self._start
            and summary.id not in hidden
            and key in (recipient.casefold() for recipient in summary.recipients)
        ]

    def raw(self, summary: MailSummary) -> bytes:
        return self.outbox.raw(summary.id)

    def read(self, summary: MailSummary, reader: str) -> None:
        """``reader`` retrieved the whole message (RETR): the outbox journals ``mail.read``."""
        self.outbox.mark_read(summary.id, reader)

    def delete(self, address: str, deleted: list[MailSummary], reader: str) -> None:
        """Hide ``deleted`` from the mailbox of ``address`` for good; one ``mail.deleted`` each."""
        key = address.casefold()
        with self._lock:
            self._hidden.setdefault(key, set()).update(summary.id for summary in deleted)
            self._save()
        for summary in deleted:
            self.journal.record(
                "mail.deleted", account=reader, mailbox=address, id=summary.id, message_id=summary.message_id
            )

    def forget(self) -> None:
        """A reset of the partner: its mailboxes start empty (the outbox keeps what it holds)."""
        known = self.outbox.messages()
        with self._lock:
            self._hidden.clear()
            self._start = known[-1].id if known else ""
            self._save()

    def _save(self) -> None:
        hidden = {name: sorted(ids) for name, ids in self._hidden.items()}
        content = {"start": self._start, "hidden": hidden}
        self._hidden_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(self._hidden_file, json.dumps(content, indent=1).encode(), mode=0o600)

    def _load(self) -> dict[str, set[str]]:
        try:
            with open_regular(self._hidden_file) as handle:
                stored = json.loads(handle.read())
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict) or not isinstance(stored.get("hidden"), dict):
            return {}
        self._start = str(stored.get("start", ""))
        hidden = stored["hidden"]
        return {
            str(name): {str(item) for item in ids} for name, ids in hidden.items() if isinstance(ids, list)
        }
