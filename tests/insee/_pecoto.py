"""What the PECOTO tests share: real clients (smtplib, poplib) against a running ``insee-pecoto`` double."""

from __future__ import annotations

import poplib
import smtplib
import ssl
import subprocess
from email.message import EmailMessage
from pathlib import Path

from mockpartners import Partner
from tests.clients import require

__all__ = ["BUREAU", "census_mail", "curl_smtp", "pop3_client", "smtp_client", "tls_context"]

BUREAU = "INSEE@pecoto.insee.example"


def tls_context(partner: Partner) -> ssl.SSLContext:
    """Trust the partner's root, as a client given its CA file does."""
    tls = partner.endpoint("smtp").tls
    assert tls is not None
    return ssl.create_default_context(cafile=tls.ca_file)


def smtp_client(partner: Partner, *, source: str = "127.0.0.1", login: bool = True,
                username: str = "96010") -> smtplib.SMTP:  # fmt: skip
    """smtplib connected, STARTTLS done and logged in (unless ``login`` is False)."""
    endpoint = partner.endpoint("smtp")
    client = smtplib.SMTP(endpoint.host, endpoint.port, timeout=10, source_address=(source, 0))
    if login:
        client.starttls(context=tls_context(partner))
        client.login(username, partner.account(username).password or "")
    return client


def census_mail(partner: Partner, *, username: str = "96010", files: dict[str, bytes] | None = None,
                subject: str = "Recensement 2026", to: str = BUREAU) -> EmailMessage:  # fmt: skip
    """A mail from the account's own address with its files attached (one census file by default)."""
    message = EmailMessage()
    message["From"] = _mail_of(partner, username)
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Veuillez trouver ci-joint notre fichier.\n")
    for name, content in (files if files is not None else {"rp96010.txt": b"census data\n"}).items():
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    return message


def _mail_of(partner: Partner, username: str) -> str:
    entry = partner.accounts.get(username)
    assert entry is not None and entry.account.mail is not None
    return entry.account.mail


def pop3_client(partner: Partner, username: str = "96010") -> poplib.POP3:
    """poplib connected, STLS done and logged in."""
    endpoint = partner.endpoint("pop3")
    client = poplib.POP3(endpoint.host, endpoint.port, timeout=10)
    client.stls(context=tls_context(partner))
    client.user(username)
    client.pass_(partner.account(username).password or "")
    return client


def curl_smtp(
    partner: Partner, mail: Path, *, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """curl sends ``mail`` as 96010 over smtp:// with --ssl-reqd (STARTTLS or nothing)."""
    endpoint = partner.endpoint("smtp")
    assert endpoint.tls is not None
    secret = password if password is not None else partner.account("96010").password
    command = [
        require("curl"), "-sS", "--ssl-reqd", "--cacert", endpoint.tls.ca_file,
        f"smtp://{endpoint.host}:{endpoint.port}", "--user", f"96010:{secret}",
        "--mail-from", "recensement@mairie-96010.example", "--mail-rcpt", BUREAU, "-T", str(mail),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=30)
