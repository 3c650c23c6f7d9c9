"""Mails per second through the suite's outbox, against a bare aiosmtpd server that stores to files.

Ours: an in-process suite serving the XFB gateway; the partner sends mails as its processors do
(``Partner.send_mail``: the outbox's two sender threads, ``smtplib`` to the suite's SMTP sink, a ``.eml``
file and a ``mail.received`` event per mail). The baseline: aiosmtpd's ``Controller`` with a handler that
writes each message to a file, fed the same messages by the same kind of sender (two threads, one
``smtplib`` connection per mail). Both run in the bench's process, so each shares its interpreter with its
senders alike. A round is done when the last mail is stored (its SMTP ``250``).
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mockpartners import Suite

from ._common import Options, free_port, median

__all__ = ["BARE_SMTP", "measure_outbox"]

BARE_SMTP = "bare aiosmtpd"
SENDERS = 2
"""The outbox's own sender threads (mockpartners/infra/outbox.py)."""
_TEXT = "Le fichier MANDAT12 a été transféré correctement.\n" * 20  # about 1 KB, as the gateway's notices


def _message(number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "xfb-gateway@dgfip.example"
    message["To"] = "ordonnateur@ville-saint-exemple.example"
    message["Subject"] = f"XFB Gateway : transfert correct du fichier MANDAT{number:05d}"
    message.set_content(_TEXT)
    return message


class _Store:
    """aiosmtpd's handler: each message to a numbered file, nothing else."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.count += 1
        (self.folder / f"{self.count:06d}.eml").write_bytes(bytes(envelope.original_content or b""))
        return "250 OK"


def _bare_send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message)


def _timed(count: int, send: Callable[[EmailMessage], Future[Any]]) -> float:
    """Mails per second: ``count`` handed over at once, until the last one is stored."""
    messages = [_message(number) for number in range(count)]
    began = time.perf_counter()
    for future in [send(message) for message in messages]:
        future.result(timeout=120)
    return count / (time.perf_counter() - began)


def measure_outbox(options: Options, state_dir: Path) -> dict[str, Any]:
    folder = options.workdir / "bare-smtp"
    folder.mkdir(parents=True, exist_ok=True)
    store = _Store(folder)
    bare = Controller(store, hostname="127.0.0.1", port=free_port())
    suite = Suite(["xfb"], state_dir=state_dir, ports="ephemeral")
    rates: dict[str, list[float]] = {"mockpartners": [], BARE_SMTP: []}
    bare.start()
    suite.start()
    try:
        xfb = suite["xfb"]
        with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="bench-smtp") as senders:
            measures: dict[str, Callable[[], float]] = {
                "mockpartners": lambda: _timed(options.mails, xfb.send_mail),
                BARE_SMTP: lambda: _timed(options.mails, lambda m: senders.submit(_bare_send, bare.port, m)),
            }
            for number in range(options.rounds):
                labels = list(measures)[number % 2 :] + list(measures)[: number % 2]
                for label in labels:
                    suite.outbox.clear()
                    rates[label].append(measures[label]())
                for path in folder.glob("*.eml"):
                    path.unlink()
    finally:
        suite.stop()
        bare.stop()
    return {
        "mails": options.mails,
        "senders": SENDERS,
        "rounds": {label: [round(rate, 1) for rate in values] for label, values in rates.items()},
        "median": {label: round(median(values), 1) for label, values in rates.items()},
    }
