"""What INSEE's census bureau does with a mail its SMTP endpoint took (PECOTO, "SMTP sécurisé PECOTO vers
le bureau du S.M." in TASK Collectivités' guide): the mail's one file is taken into the account's ``files``
folder and acknowledged by mail; a mail with no file or several is refused by mail (the bureau reads its
mail: SMTP had nothing to object to). Either way the mail itself is taken from the account's mail folder.

Answers go through the suite's outbox to the account's own address, as replies (``In-Reply-To``,
``References``, RFC 3834's ``Auto-Submitted: auto-replied``), so the client reads them over POP3 and the
user sees them in ``mockpartners mail list``. Their wording is ours (the guide shows none).
"""

from __future__ import annotations

import posixpath
from typing import Any

from ..infra.atomic import write_atomically
from ..infra.journal import Event
from ..infra.mail_files import file_content, file_name, file_parts, parse_stored
from ..infra.scheduler import Job
from ..model.loading import MailIntake
from ..ports.context import ProcessorContext
from ._base import BaseProcessor
from ._mails import send_notice

__all__ = ["MailIntakeProcessor"]

NO_FILE = "aucun fichier joint (no file attached)"
SEVERAL_FILES = "plusieurs fichiers joints : un seul fichier par courrier (several files: one file per mail)"
NO_NAME = "le fichier joint n'a pas de nom (the attached file has no name)"


class MailIntakeProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: MailIntake) -> None:
        self.context = context
        self.spec = spec

    def watches(self, username: str, relative_path: str) -> bool:
        return posixpath.dirname(relative_path) == self.spec.folder and relative_path.endswith(".eml")

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        """Taken later, on the partner's worker: SMTP has said ``250 queued`` already, as a real server
        queues a mail before delivering it."""
        report = self.context.job_failed("mail-intake", account=username, path=relative_path, ref=event.id)
        job = Job(lambda: self._take(username, relative_path, event), "mail-intake", report)
        self.context.scheduler.schedule(self.context.clock.now(), job)

    def recover(self) -> None:
        """After a restart: the mails SMTP queued but the bureau never took are taken now."""
        for entry in self.context.accounts.entries():
            folder = self.context.tree.home(entry.username).root / self.spec.folder
            for stored in sorted(folder.glob("*.eml")) if folder.is_dir() else ():
                relative = f"{self.spec.folder}/{stored.name}"
                event = self.context.journal.record("partner.recover", account=entry.username, path=relative)
                self.file_arrived(entry.username, relative, event)

    def _take(self, username: str, relative_path: str, event: Event) -> None:
        home = self.context.tree.home(username)
        stored = home.root / relative_path
        if not stored.is_file():  # a reset came first
            return
        message = parse_stored(stored)
        parts = list(file_parts(message))
        message_id = str(message.get("Message-ID", ""))
        variables: dict[str, Any] = {
            "subject": str(message.get("Subject", "")),
            "message_id": message_id,
            "mail": str(event.detail.get("sender", "")),
        }
        detail = {"message_id": message_id, "ref": event.id, "subject": variables["subject"]}
        reason = NO_FILE if not parts else SEVERAL_FILES if len(parts) > 1 else ""
        name = file_name(parts[0]) if len(parts) == 1 else ""
        if len(parts) == 1 and not name:
            reason = NO_NAME
        stored.unlink(missing_ok=True)  # taken: the bureau has it now
        if reason:
            self.context.journal.record(
                "partner.refuse", account=username, path=relative_path, outcome="refused", reason=reason,
                files=len(parts), **detail,
            )  # fmt: skip
            mail = self.spec.mails.refused
            send_notice(self.context, mail, self.spec.sender, username, in_reply_to=message_id, reason=reason,
                        name="", size=0, **variables)  # fmt: skip
            return
        content = file_content(parts[0])
        target = f"{self.spec.files}/{name}"
        write_atomically(home.root / target, content, mode=0o600, mtime=self.context.virtual_mtime())
        self.context.journal.record(
            "partner.intake", account=username, path=target, size=len(content), mail=relative_path, **detail
        )
        mail = self.spec.mails.accepted
        send_notice(self.context, mail, self.spec.sender, username, in_reply_to=message_id, name=name,
                    size=len(content), reason="", **variables)  # fmt: skip
