"""The XFB gateway's mails reach a team's own SMTP server too (issue 12, point 4: "through an SMTP relay the
user chooses"): the test starts a plain aiosmtpd server as that relay, a scheduler deposits with curl, and the
"transfert correct" mail arrives both in the suite's outbox and at the relay, with the same Message-ID."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mockpartners import Query
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import require


class _Mailbox:
    """What the team's relay received, for the test to wait on (an aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[Controller, _Mailbox]]:
    mailbox = _Mailbox()
    with socket.socket() as probe:  # aiosmtpd's Controller checks its port by connecting: it needs one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


def test_a_deposit_mail_reaches_the_outbox_and_the_teams_relay(
    mockpartners: SuiteFactory, relay: tuple[Controller, _Mailbox], tmp_path: Path
) -> None:
    controller, mailbox = relay
    port = controller.port
    suite = mockpartners("xfb", mail_relay=f"127.0.0.1:{port}")
    xfb = suite["xfb"]
    endpoint = xfb.endpoint("gateway")
    data = tmp_path / "MANDAT12"
    data.write_text("mandats\n")
    url = (f"http://{endpoint.host}:{endpoint.port}/depot-xt?user=45000001&password="
           f"{xfb.account('45000001').password}&reference=GRCT450&site=C175&file=MANDAT12")  # fmt: skip
    command = [require("curl"), "-sS", "-H", "Content-Type: application/octet-stream", "--data-binary"]
    sent = subprocess.run([*command, f"@{data}", url], capture_output=True, timeout=30)
    assert sent.returncode == 0, sent.stderr

    stored = suite.outbox.wait_for(to="ordonnateur@ville-saint-exemple.example", subject="transfert correct")
    relayed = xfb.journal.wait_for(Query(kind="mail.relay"), timeout=10)
    assert relayed.outcome == "ok" and relayed.detail["message_id"] == stored.message_id
    assert mailbox.arrived.wait(timeout=10)
    (received,) = mailbox.messages
    assert received["Message-ID"] == stored.message_id
    assert received["Subject"] == "XFB Gateway : transfert correct du fichier MANDAT12"
    assert received["To"] == "ordonnateur@ville-saint-exemple.example"
    assert "GRCT450" in received.get_content()
