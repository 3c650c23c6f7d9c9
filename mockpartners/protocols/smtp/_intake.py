"""The partner's checks on each mail, as aiosmtpd handler hooks of one connection: the sender must be the
logged-in account's own address (``553``), each recipient one of the partner's addresses (``550``), each
attachment of a type and size the partner takes (``554``, ``552``). A mail that passes is written whole into
the account's mail folder through its session (rights, quota, ``fs.open``/``fs.close``), where the
partner's ``mail-intake`` processor takes it; its reply says where (``250 ... queued as``).

The TASK Collectivités guide says only "SMTP sécurisé PECOTO vers le bureau du S.M."; the codes are those
of a Postfix submission service (``reject_sender_login_mismatch``, an unknown virtual recipient, a content
filter), which is what such a bureau most likely runs (docs/partners/insee.md).
"""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from ...infra.limits import StorageRefused
from ...infra.mail_files import file_content, file_parts, parse_mail, remember
from ...ports.session import Session
from ...ports.storage import AccessRefused
from ...scenarios import names

if TYPE_CHECKING:
    from ._server import SmtpServer, _Connection

__all__ = ["Intake"]

_NUMBERS = itertools.count(1)


class Intake:
    """aiosmtpd's handler of one connection: the partner's checks, then the mail into the account's folder."""

    def __init__(self, server: SmtpServer, connection: _Connection) -> None:
        self.server = server
        self.connection = connection

    def _session(self) -> Session:
        assert self.connection.partner_session is not None
        return self.connection.partner_session

    def _refuse(self, reason: str, reply: str) -> str:
        self.connection.reason = reason
        return reply

    def _account_mail(self) -> str:
        entry = self.server.partner.accounts.get(self._session().account or "")
        return entry.account.mail or "" if entry is not None else ""

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        own = self._account_mail()
        if address.casefold() != own.casefold():
            account = self._session().account
            return self._refuse(
                f"sender {address!r} is not the account's address {own!r}",
                f"553 5.7.1 <{address}>: Sender address rejected: not owned by user {account}",
            )
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        self._session().record("smtp.mail", sender=address)
        return "250 2.1.0 Ok"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        known = {recipient.casefold() for recipient in self.server.spec.recipients}
        unknown = self.server.partner.scenarios.active(names.RECIPIENT_UNKNOWN) is not None
        if unknown or address.casefold() not in known:
            why = f"scenario {names.RECIPIENT_UNKNOWN}" if unknown else "not one of the partner's addresses"
            return self._refuse(
                f"recipient {address!r}: {why}",
                f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table",
            )
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        self._session().record("smtp.rcpt", recipient=address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802
        content = bytes(envelope.original_content or b"")
        message = parse_mail(content)
        refusal = self._header_refusal(message) or self._attachment_refusal(message)
        if refusal is not None:
            return self._refuse(*refusal)
        return self._store(message, content, envelope, tls=session.ssl is not None)

    def _header_refusal(self, message: EmailMessage) -> tuple[str, str] | None:
        own = self._account_mail().casefold()
        senders = [address.casefold() for _, address in getaddresses(message.get_all("From", []))]
        if senders != [own]:
            shown = ", ".join(senders) or "none"
            return (
                f"From header {shown!r} is not the account's address",
                f"550 5.7.1 From header ({shown}) not owned by user {self._session().account}",
            )
        return None

    def _attachment_refusal(self, message: EmailMessage) -> tuple[str, str] | None:
        rules = self.server.spec.attachments
        limit = int(rules.max_size)
        lowered = self.server.partner.scenarios.active(names.ATTACHMENT_TOO_LARGE)
        if lowered is not None:
            limit = min(limit, int(lowered["max_size"]))
        for part in file_parts(message):
            name = part.get_filename() or ""
            content_type = part.get_content_type()
            size = len(file_content(part))
            wrong_name = rules.extensions and not name.casefold().endswith(
                tuple(ext.casefold() for ext in rules.extensions)
            )
            if wrong_name or (rules.content_types and content_type not in rules.content_types):
                accepted = ", ".join((*rules.extensions, *rules.content_types))
                return (
                    f"attachment {name!r} ({content_type}) is not a type the partner takes ({accepted})",
                    f"554 5.6.1 Message content rejected: attachment {name} ({content_type}) not accepted",
                )
            if size > limit:
                return (
                    f"attachment {name!r} is {size} bytes, over the limit of {limit}",
                    f"552 5.3.4 Message size exceeds fixed limit: attachment {name} is over {limit} bytes",
                )
        return None

    def _store(self, message: EmailMessage, content: bytes, envelope: Envelope, *, tls: bool) -> str:
        """Write the mail whole as ``<folder>/<id>.eml`` through the session: the partner takes it there."""
        session = self._session()
        now = self.server.partner.journal.clock.now()
        mail_id = f"{now:%Y%m%d-%H%M%S}-{session.id}-{next(_NUMBERS)}"
        if "Message-ID" not in message:  # as a submission server does (Postfix: always_add_missing_headers)
            message["Message-ID"] = make_msgid(domain=self.server.spec.hostname)
            content = f"Message-ID: {message['Message-ID']}\r\n".encode() + content
        path = f"/{self.server.spec.folder}/{mail_id}.eml"
        detail: dict[str, Any] = {
            "message_id": str(message.get("Message-ID", "")),
            "subject": str(message.get("Subject", "")),
            "sender": envelope.mail_from,
            "recipients": list(envelope.rcpt_tos),
            "attachments": sum(1 for _ in file_parts(message)),
            "tls": tls,
        }
        try:
            with session.operation("fs.open", path, "write", mode="write") as operation:
                session.reserve_storage(operation.location, len(content), new_files=1)
        except (AccessRefused, StorageRefused) as refused:
            return self._refuse(refused.reason, "452 4.3.1 Insufficient system storage, try again later")
        location = operation.location
        session.upload_started(location)
        complete = False
        try:
            location.real.write_bytes(content)
            remember(location.real, content, message)  # the partner takes it without parsing it again
            complete = True
        finally:
            session.upload_ended(location, complete=complete, bytes_written=len(content), **detail)
        session.record("smtp.message", path=location.relative, size=len(content), **detail)
        return f"250 2.0.0 Ok: queued as {mail_id}"
