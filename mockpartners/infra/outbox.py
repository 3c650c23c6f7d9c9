"""The suite's outbox: every mail a partner sends, through a real SMTP path, kept as ``.eml`` files.

A partner (the XFB gateway's notifications, INSEE's PECOTO answers) hands an ``EmailMessage`` to
:meth:`Outbox.send`; a worker thread delivers it with ``smtplib`` to the suite's own SMTP sink, so the mail
takes the path a real gateway's mail takes, and, when the user gave one, to their relay too (a team's
Mailpit). The sink also takes what any SMTP client sends it, so users can point their own tools at it. Each
message it receives is stored as ``STATE/outbox/<id>.eml`` (ids in order) and journalled ``mail.received``;
tests wait on the journal for it, never sleep. A reader's look at a mail is ``mail.read`` (:meth:`mark_read`).
A relay that refuses or is down is a ``mail.relay`` event with the reason: the message stays in the
outbox, and the partner never fails for it.
"""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import Envelope

from ..model.errors import PortInUseError, StateError, UnknownMailError, UsageError
from ._sink_connections import SinkConnections
from ._smtp_sink import MailLimits, SmtpSink
from .atomic import open_regular, write_atomically
from .journal import Journal

__all__ = ["PARTNER_HEADER", "MailLimits", "MailSummary", "Outbox", "attachment", "describe", "relay_address"]

PARTNER_HEADER = "X-Mockpartners-Partner"
"""The header naming the partner that sent a message (set by :meth:`Outbox.send`)."""

_SMTP_TIMEOUT = 30.0
"""Seconds a delivery (to the sink or the relay) may take: a relay that hangs never holds the sender."""


def relay_address(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:1025`` for IPv6) as a pair, refused with one clear message otherwise."""
    host, separator, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"mail relay {text!r}: expected HOST:PORT, e.g. 127.0.0.1:1025")
    return host, int(port)


@dataclass(frozen=True)
class MailSummary:
    """One stored message as lists show it."""

    id: str
    sender: str
    recipients: tuple[str, ...]
    """The envelope's recipients (``Delivered-To``)."""
    to: str
    """The ``To`` header."""
    subject: str
    message_id: str
    partner: str | None
    size: int
    date: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "recipients": list(self.recipients),
            "to": self.to,
            "subject": self.subject,
            "message_id": self.message_id,
            "partner": self.partner,
            "size": self.size,
            "date": self.date,
        }

    def matches(self, to: str | None, subject: str | None, partner: str | None) -> bool:
        """``to`` and ``subject`` match a part, whatever the case (``to="ordonnateur@"``)."""
        if partner is not None and self.partner != partner:
            return False
        if subject is not None and subject.casefold() not in self.subject.casefold():
            return False
        addresses = " ".join((*self.recipients, self.to)).casefold()
        return to is None or to.casefold() in addresses


class Outbox:
    """The outbox of one suite: its sink (started on the suite's loop), its store and its sender."""

    def __init__(
        self,
        directory: Path,
        journal: Journal,
        *,
        host: str,
        port: int,
        limits: MailLimits | None = None,
        relay: tuple[str, int] | None = None,
    ) -> None:
        self.directory = directory
        self.journal = journal
        self.limits = limits or MailLimits()
        self.relay = relay
        self.sink = SmtpSink(host, port, self.limits, self._receive, self._refused)
        self._lock = threading.Lock()
        self._index: dict[str, MailSummary] = {}
        self._last_number = 0
        self._sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mockpartners-mail")
        self._to_sink = SinkConnections(_SMTP_TIMEOUT)
        self._load()

    # -- lifecycle (the sink runs on the suite's loop) ------------------------------------------------------

    async def start(self) -> int:
        try:
            return await self.sink.start()
        except OSError as error:
            ways_out = "--mail-port N or --ports ephemeral"
            raise PortInUseError.binding(
                "mail outbox", self.sink.host, self.sink.port, error, ways_out
            ) from None

    async def stop(self) -> None:
        await self.sink.stop()

    def close(self) -> None:
        """Let the mails being sent finish (each bounded by the SMTP timeout)."""
        self._sender.shutdown(wait=True, cancel_futures=False)

    @property
    def host(self) -> str:
        return self.sink.host

    @property
    def port(self) -> int:
        return self.sink.port

    # -- what partners do -----------------------------------------------------------------------------------

    def send(self, message: EmailMessage, partner: str | None = None) -> Future[str]:
        """Deliver ``message`` through the sink (and the relay) from a worker thread; its Message-ID.

        Never blocks the caller (a protocol handler on the suite's loop must not wait for the sink that
        runs on the same loop)."""
        if not getaddresses(
            message.get_all("To", []) + message.get_all("Cc", []) + message.get_all("Bcc", [])
        ):
            raise UsageError("a mail needs a recipient (To, Cc or Bcc)")
        if partner is not None:
            del message[PARTNER_HEADER]
            message[PARTNER_HEADER] = partner
        if "Message-ID" not in message:
            message["Message-ID"] = make_msgid(domain="mockpartners.localhost")
        if "Date" not in message:
            message["Date"] = format_datetime(self.journal.clock.now())
        self._to_sink.queued()
        try:
            return self._sender.submit(self._deliver, message, partner)
        except RuntimeError:  # shut down: the suite stopped
            self._to_sink.cancelled()
            raise StateError("the suite has stopped: its outbox sends no more mail") from None

    def _deliver(self, message: EmailMessage, partner: str | None) -> str:
        message_id = str(message["Message-ID"])
        try:
            self._to_sink.send((_connectable(self.sink.host), self.sink.port), message)
        except (smtplib.SMTPException, OSError) as error:
            self.journal.record(
                "mail.sent", partner=partner, protocol="smtp", outcome="failed",
                message_id=message_id, reason=_reason(error),
            )  # fmt: skip
            raise StateError(f"the outbox refused mail {message_id}: {_reason(error)}") from None
        if self.relay is not None:
            self._relay(message, partner)
        return message_id

    def _relay(self, message: EmailMessage, partner: str | None) -> None:
        assert self.relay is not None
        host, port = self.relay
        fields = {"partner": partner, "protocol": "smtp", "message_id": str(message["Message-ID"])}
        try:
            self._smtp_send(self.relay, message)
        except (smtplib.SMTPException, OSError) as error:
            self.journal.record(
                "mail.relay", outcome="failed", relay=f"{host}:{port}", reason=_reason(error), **fields
            )
            return
        self.journal.record("mail.relay", relay=f"{host}:{port}", **fields)

    @staticmethod
    def _smtp_send(address: tuple[str, int], message: EmailMessage) -> None:
        with smtplib.SMTP(address[0], address[1], timeout=_SMTP_TIMEOUT) as client:
            client.send_message(message)

    # -- what the sink does ---------------------------------------------------------------------------------

    async def _receive(self, envelope: Envelope, peer: str) -> str:
        """Store a message the sink took (in a thread: the loop serves other clients meanwhile); a full
        outbox or a disk that takes no more is a temporary refusal (4xx), as a real server's would be."""
        with self._lock:
            full = len(self._index) >= self.limits.max_messages
        if full:
            reason = f"the outbox holds {self.limits.max_messages} mails: empty it (mockpartners mail clear)"
            self._refused(peer, reason)
            return f"452 4.3.1 Insufficient system storage: {reason}"
        loop = asyncio.get_running_loop()
        try:
            summary = await loop.run_in_executor(None, self._store, envelope, peer)
        except OSError as error:
            self._refused(peer, f"cannot store the mail: {error.strerror or error}")
            return "451 4.3.0 Cannot store the mail now, try again later"
        return f"250 2.0.0 Ok: stored as {summary.id}"

    def _store(self, envelope: Envelope, peer: str) -> MailSummary:
        """Write ``<id>.eml`` as a delivery agent does (``Return-Path`` and ``Delivered-To`` first)."""
        trace = [f"Return-Path: <{envelope.mail_from or ''}>"]
        trace += [f"Delivered-To: {recipient}" for recipient in envelope.rcpt_tos]
        data = ("\r\n".join(trace) + "\r\n").encode() + bytes(envelope.original_content or b"")
        with self._lock:
            self._last_number += 1
            mail_id = f"{self._last_number:06d}"
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomically(self.directory / f"{mail_id}.eml", data, mode=0o600)
            summary = _summary(mail_id, data)
            self._index[mail_id] = summary
        self.journal.record(
            "mail.received", partner=summary.partner, protocol="smtp", client=peer, path=f"{mail_id}.eml",
            id=mail_id, sender=summary.sender, to=list(summary.recipients), subject=summary.subject,
            message_id=summary.message_id, size=summary.size,
        )  # fmt: skip
        return summary

    def _refused(self, address: str, reason: str) -> None:
        self.journal.record("mail.refused", protocol="smtp", client=address, outcome="refused", reason=reason)

    # -- what users read ------------------------------------------------------------------------------------

    def messages(
        self,
        to: str | None = None,
        subject: str | None = None,
        partner: str | None = None,
        *,
        after: str | None = None,
    ) -> list[MailSummary]:
        """The stored messages matching, oldest first (``after``: only those with a later id)."""
        with self._lock:
            found = list(self._index.values())
        return [
            summary
            for summary in found
            if (after is None or summary.id > after) and summary.matches(to, subject, partner)
        ]

    def summary(self, mail_id: str) -> MailSummary:
        with self._lock:
            found = self._index.get(mail_id)
        if found is None:
            raise _missing(mail_id)
        return found

    def raw(self, mail_id: str) -> bytes:
        """The ``.eml`` file as stored."""
        self.summary(mail_id)
        try:
            with open_regular(self.directory / f"{mail_id}.eml") as handle:
                return handle.read()
        except FileNotFoundError:
            raise _missing(mail_id) from None

    def mark_read(self, message_id: str, reader: str) -> None:
        """Someone read the mail (``mail.read``): the admin API and ``mockpartners mail show``, the POP3
        adapter's RETR. What the contract's "mails read" rule (kind ``followed``) looks for; a test's own
        look (:meth:`message`, :meth:`raw`) is not a read. ``message_id``: the outbox's id (``000001``)
        or the mail's Message-ID (``<...@...>``, the newest mail that has it)."""
        with self._lock:
            found = [
                summary for summary in self._index.values() if message_id in (summary.id, summary.message_id)
            ]
        if not found:
            raise _missing(message_id)
        summary = found[-1]
        self.journal.record(
            "mail.read", partner=summary.partner, path=f"{summary.id}.eml", id=summary.id,
            message_id=summary.message_id, to=list(summary.recipients), reader=reader,
        )  # fmt: skip

    def message(self, mail_id: str) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw(mail_id))
        assert isinstance(parsed, EmailMessage)
        return parsed

    def wait_for(
        self,
        to: str | None = None,
        subject: str | None = None,
        partner: str | None = None,
        *,
        after: str | None = None,
        timeout: float = 10.0,
    ) -> MailSummary:
        """The first stored message matching, waiting up to ``timeout`` s for the sink to receive it (woken
        by the journal's ``mail.received``, never sleeping)."""
        found: list[MailSummary] = []

        def arrived() -> bool:
            found[:] = self.messages(to, subject, partner, after=after)[:1]
            return bool(found)

        wanted = ", ".join(f"{name}={value!r}" for name, value in (("to", to), ("subject", subject)) if value)
        self.journal.wait_until(arrived, timeout, f"a mail in the outbox ({wanted or 'any'})")
        return found[0]

    def clear(self) -> int:
        """Empty the outbox (a suite reset), mails on their way included; how many messages it held."""
        self._to_sink.wait_until_sent(_SMTP_TIMEOUT)
        with self._lock:
            count = len(self._index)
            for path in self.directory.glob("*.eml"):
                path.unlink(missing_ok=True)
            self._index.clear()
        self.journal.record("mail.cleared", count=count)
        return count

    def _load(self) -> None:
        """What earlier runs stored is kept across restarts; ids go on from the last one."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.eml")):
            if not path.stem.isdigit():
                continue
            try:
                with open_regular(path) as handle:
                    self._index[path.stem] = _summary(path.stem, handle.read())
            except OSError:
                continue
            self._last_number = max(self._last_number, int(path.stem))


def _summary(mail_id: str, data: bytes) -> MailSummary:
    headers = BytesHeaderParser(policy=policy.default).parsebytes(data)
    return MailSummary(
        id=mail_id,
        sender=str(headers.get("Return-Path", "")).strip("<>") or str(headers.get("From", "")),
        recipients=tuple(str(value) for value in headers.get_all("Delivered-To", [])),
        to=str(headers.get("To", "")),
        subject=str(headers.get("Subject", "")),
        message_id=str(headers.get("Message-ID", "")),
        partner=str(headers[PARTNER_HEADER]) if PARTNER_HEADER in headers else None,
        size=len(data),
        date=str(headers.get("Date", "")),
    )


def _missing(mail_id: str) -> UnknownMailError:
    return UnknownMailError(f"no mail {mail_id!r} in the outbox (mockpartners mail list shows what it holds)")


def _connectable(host: str) -> str:
    """Where this process reaches a sink listening on ``host`` (any address: loopback)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        return f"{error.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = error.recipients.items()
        return "; ".join(f"{address}: {code} {text!s}" for address, (code, text) in refused)
    return str(error) or type(error).__name__


def describe(message: EmailMessage) -> dict[str, Any]:
    """A message as the admin API shows it: headers, the text body, the attachments' names and sizes."""
    body = message.get_body(preferencelist=("plain", "html"))
    return {
        "headers": [[name, str(value)] for name, value in message.items()],
        "text": body.get_content() if isinstance(body, EmailMessage) else "",
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in _attachments(message)
        ],
    }


def attachment(message: EmailMessage, index: int) -> tuple[str, bytes]:
    """The ``index``-th attachment (from 0, in the order :func:`describe` lists them): name and bytes."""
    for position, part in enumerate(_attachments(message)):
        if position == index:
            payload = part.get_payload(decode=True)
            return part.get_filename() or f"attachment-{index}", payload if isinstance(
                payload, bytes
            ) else b""
    raise UnknownMailError(f"the mail has no attachment {index}")


def _attachments(message: EmailMessage) -> Iterator[EmailMessage]:
    for part in message.iter_attachments():
        if isinstance(part, EmailMessage):
            yield part
