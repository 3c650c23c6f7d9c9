"""Mail endpoints (INSEE's PECOTO: "SMTP sécurisé PECOTO vers le bureau du S.M.", and the "POP/SMTP"
protocol whose "Retrait" reads the answers); what the partner does with a mail is a processor
(``kind: mail-intake``).

The TASK Collectivités guide names the channel and nothing of its wire: the ports, the TLS policy, the
addresses, the attachment rules and the answers' wording are ours, profile data, and docs/partners/insee.md
says so.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ByteSize, Field, field_validator

from ._endpoint import Credential, EndpointModel
from ._types import DurationField, Model
from .duration import Duration

__all__ = ["MAIL_ADDRESS", "AttachmentRules", "MailEndpoint", "Pop3Endpoint", "SmtpEndpoint"]

MAIL_ADDRESS = r"^[^@\s]+@[^@\s]+$"


class AttachmentRules(Model):
    """What the bureau's server takes as the file of a mail: by name (extension) or content type, up to a
    size; anything else is refused at the end of DATA (``554``, ``552`` when too large)."""

    extensions: tuple[str, ...] = ()
    """File-name endings taken (``.038``, ``.txt``; case does not matter); empty: any name."""
    content_types: tuple[str, ...] = ()
    """Content types taken (``text/plain``, ``application/octet-stream``); empty: any type."""
    max_size: ByteSize = ByteSize(5 * 2**20)
    """The largest attachment, decoded."""


def _positive(value: Duration) -> Duration:
    if value.total_seconds() <= 0:
        raise ValueError("expected a duration above zero, like 60s")
    return value


class MailEndpoint(EndpointModel):
    """What SMTP and POP3 endpoints share: TLS asked for on the plain connection (STARTTLS, STLS), on the
    partner's one TLS policy, and required before any credential unless ``require_tls`` is false."""

    credentials: ClassVar[frozenset[Credential]] = frozenset({"tls"})
    port: int = Field(ge=1, le=65535)
    unprivileged_port: int | None = Field(default=None, ge=1024, le=65535)
    server_names: tuple[str, ...] = ()
    hostname: str = "mail.mockpartners.localhost"
    """The name in the greeting (and SMTP's EHLO answer); the server certificate carries it."""
    tls_minimum: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    require_tls: bool = True

    def certificate_names(self) -> tuple[str, ...]:
        return (self.hostname, *self.server_names)


class SmtpEndpoint(MailEndpoint):
    """An SMTP submission service (aiosmtpd): STARTTLS on the partner's TLS policy (before anything but
    EHLO, NOOP and QUIT: ``530``), then AUTH PLAIN or LOGIN with an account's password; mail only for the
    partner's ``recipients``, from the account's own ``mail`` address, with an attachment the
    ``attachments`` rules take."""

    protocol: Literal["smtp"]
    port: int = Field(default=587, ge=1, le=65535)
    unprivileged_port: int | None = Field(default=2587, ge=1024, le=65535)
    hostname: str = "smtp.mockpartners.localhost"
    recipients: tuple[str, ...] = Field(min_length=1)
    """The addresses the partner takes mail for; any other is ``550`` at RCPT."""
    attachments: AttachmentRules = AttachmentRules()
    folder: str = "courriers"
    """The folder of the account's home where each mail it sends is written whole (``<id>.eml``), for the
    partner's ``mail-intake`` processor to take."""
    max_message_size: ByteSize = ByteSize(10 * 2**20)
    """The largest message (DATA), announced by EHLO's ``SIZE``; more is ``552``."""
    data_timeout: DurationField = Duration(seconds=60)
    """How long one command (the whole DATA phase included) may take before the connection is closed."""

    _timeouts = field_validator("data_timeout")(_positive)


class Pop3Endpoint(MailEndpoint):
    """A POP3 service (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595) serving each account the mails
    the suite's outbox holds for its ``mail`` address; STLS before USER and PASS (``-ERR``), as RFC 2595
    lets a server demand."""

    protocol: Literal["pop3"]
    port: int = Field(default=110, ge=1, le=65535)
    unprivileged_port: int | None = Field(default=2110, ge=1024, le=65535)
    hostname: str = "pop.mockpartners.localhost"
    idle_timeout: DurationField = Duration(seconds=600)
    """RFC 1939's inactivity autologout timer (at least 10 minutes there; shorter for tests)."""
    max_command_length: int = Field(default=255, ge=64, le=4096)
    """RFC 2449: a command line is at most 255 octets; a longer one is refused and the connection closed."""

    _timeouts = field_validator("idle_timeout")(_positive)
