"""Answer files from templates, and the digest of a request."""

from __future__ import annotations

import hashlib
import posixpath
import string
from datetime import UTC, datetime
from typing import BinaryIO

from ..model.loading import AnswerTemplate
from ._spool import Ticket

__all__ = ["digest", "numbered", "render", "render_variables"]

_MAX_NAME_BYTES = 255


def digest(handle: BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 of an open file, read in chunks (requests may be gigabytes); rewound afterwards."""
    sha256 = hashlib.sha256()
    size = 0
    while chunk := handle.read(1 << 20):
        sha256.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return size, sha256.hexdigest()


def numbered(name: str, number: int) -> str:
    """The ``number``-th answer of the same name: ``X.xml.ACK`` -> ``X.xml.2.ACK`` (the type stays last, so a
    client that fetches ``*.ACK`` finds every answer), still within the 255-byte limit."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    mark = f".{number}" + (f".{extension}" if extension else "")
    room = _MAX_NAME_BYTES - len(mark.encode())
    return stem.encode()[:room].decode("utf-8", "ignore") + mark


def render(template: AnswerTemplate, ticket: Ticket, partner: str) -> tuple[str, bytes]:
    """The answer's file name (never a path) and content for one request."""
    return render_variables(template, _variables(ticket, partner))


def render_variables(template: AnswerTemplate, variables: dict[str, object]) -> tuple[str, bytes]:
    """A file's name (never a path) and content from a template and the values of its variables."""
    name = _file_name(template.name, variables)
    return name, string.Template(template.content).safe_substitute(variables).encode()


def _file_name(template: str, variables: dict[str, object]) -> str:
    """The template's name, fitting the file system's 255 bytes: a request named up to that limit still gets
    its answer (``${name}.ACK`` would be longer), named after the request's name cut short."""
    name = string.Template(template).safe_substitute(variables).replace("/", "_")
    excess = len(name.encode()) - _MAX_NAME_BYTES
    if excess <= 0:
        return name
    shortened = dict(variables)
    for key in ("name", "stem"):
        if key not in variables:
            continue
        value = str(variables[key]).encode()
        shortened[key] = value[: max(len(value) - excess, 1)].decode("utf-8", "ignore")
    name = string.Template(template).safe_substitute(shortened).replace("/", "_")
    return name.encode()[:_MAX_NAME_BYTES].decode("utf-8", "ignore")


def _variables(ticket: Ticket, partner: str) -> dict[str, object]:
    processed = datetime.fromisoformat(ticket.processed_at).astimezone(UTC)
    received = datetime.fromisoformat(ticket.received_at).astimezone(UTC)
    name = posixpath.basename(ticket.path)
    stem, dot, suffix = name.rpartition(".")
    return {
        "name": name,
        "stem": stem if dot else name,
        "suffix": dot + suffix if dot else "",
        "account": ticket.username,
        "folder": ticket.inbox,
        "answer_folder": ticket.answer_folder,
        "partner": partner,
        "received_at": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "processed_at": processed.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date": processed.strftime("%Y%m%d"),
        "time": processed.strftime("%H%M%S"),
        "size": ticket.size,
        "sha256": ticket.sha256,
        "request_id": ticket.request_id,
        "reason": ticket.reason,
        "lines": ticket.lines,
        "accepted_lines": ticket.accepted_lines,
        "rejected_lines": ticket.lines - ticket.accepted_lines,
        "rejections": ticket.rejections,
    }
