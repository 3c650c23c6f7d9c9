"""The files a mail carries: what an SMTP server checks at DATA and what a partner takes from the mail
afterwards read them the same way."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

__all__ = ["file_name", "file_parts", "parse_mail"]


def parse_mail(content: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(parsed, EmailMessage)
    return parsed


def file_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """The parts that carry a file: an attachment disposition or a file name, whatever their nesting."""
    for part in message.walk():
        carries_file = part.get_content_disposition() == "attachment" or part.get_filename()
        if isinstance(part, EmailMessage) and not part.is_multipart() and carries_file:
            yield part


def file_name(part: EmailMessage) -> str:
    """The part's file name, as one safe folder entry (a Windows client may send ``c:\\transfert\\x``)."""
    name = posixpath.basename((part.get_filename() or "").replace("\\", "/")).strip()
    return "" if name in ("", ".", "..") or name.startswith(".") else name
