"""Notification mails a partner sends to an account, from a profile's template (subject and text with
``${name}``-style variables), through the suite's outbox (its SMTP sink, and the user's relay)."""

from __future__ import annotations

import string
from datetime import UTC
from email import policy
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from typing import Any

from ..infra.journal import Event
from ..model._processors import MailTemplate
from ..ports.context import ProcessorContext

__all__ = ["send_notice"]

_POLICY = policy.default.clone(max_line_length=998)
"""RFC 5322's line limit rather than Python's 78: a long Message-ID in ``In-Reply-To`` stays as it is
(folded at 78, Python would turn it into an encoded word no mail client matches)."""


@lru_cache(maxsize=512)
def _header(name: str, value: str) -> BaseHeader:
    """A header as the policy parses it, parsed once per value: a partner's sender, its accounts' addresses
    and the subjects it repeats come back with every mail, and parsing them was most of a notice's cost."""
    parsed = _POLICY.header_factory(name, value)
    assert isinstance(parsed, BaseHeader)
    return parsed


def send_notice(
    context: ProcessorContext,
    template: MailTemplate,
    sender: str,
    username: str,
    *,
    in_reply_to: str = "",
    **variables: Any,
) -> Event | None:
    """Mail the account (at its ``mail``); a ``partner.mail`` event, or none when it has no address.
    ``in_reply_to``: the Message-ID of the mail this one answers (an automatic reply, RFC 3834)."""
    entry = context.accounts.get(username)
    if entry is None or entry.account.mail is None:
        return None
    now = context.clock.now().astimezone(UTC)
    values = {
        "account": username,
        "organisation": entry.account.organisation,
        "partner": context.name,
        "date": now.strftime("%d/%m/%Y"),
        "time": now.strftime("%H:%M:%S"),
        **variables,
    }
    message = EmailMessage(policy=_POLICY)
    message["From"] = _header("From", sender)
    message["To"] = _header("To", entry.account.mail)
    message["Subject"] = _header("Subject", string.Template(template.subject).safe_substitute(values))
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
        message["Auto-Submitted"] = _header("Auto-Submitted", "auto-replied")
    message.set_content(string.Template(template.body).safe_substitute(values))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    # journalled before it leaves: its mail.received and mail.read (the "mails read" rule) come after it
    event = context.journal.record(
        "partner.mail", account=username, to=entry.account.mail, subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]),
    )  # fmt: skip
    context.send_mail(message)
    return event
