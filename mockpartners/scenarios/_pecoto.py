"""The scenarios of INSEE's PECOTO secure mail (TASK Collectivités' guide, "SMTP sécurisé PECOTO vers le
bureau du S.M."): a server that no longer offers STARTTLS, AUTH refused, a recipient unknown, an attachment
too large. Each shows what a mail client shows when the real server does it."""

from __future__ import annotations

from ..model._mail import SmtpEndpoint
from ._spec import Parameter, ScenarioSpec
from .names import ATTACHMENT_TOO_LARGE, RECIPIENT_UNKNOWN, SMTP_AUTH_REFUSED, STARTTLS_MISSING

__all__ = ["PECOTO_SPECS"]

PECOTO_SPECS = [
    ScenarioSpec(
        STARTTLS_MISSING,
        "the SMTP server no longer offers STARTTLS (EHLO lists neither STARTTLS nor AUTH)",
        "a client that insists on TLS stops before sending: smtplib's SMTPNotSupportedError, curl's "
        "--ssl-reqd '(64) Requested SSL level failed', swaks '*** Remote host did not advertise STARTTLS'",
        endpoints=(SmtpEndpoint,),
    ),
    ScenarioSpec(
        SMTP_AUTH_REFUSED,
        "every SMTP AUTH is refused, whatever the credentials",
        "'535 5.7.8 Authentication credentials invalid': smtplib's SMTPAuthenticationError",
        endpoints=(SmtpEndpoint,),
    ),
    ScenarioSpec(
        RECIPIENT_UNKNOWN,
        "every recipient is refused as unknown, the bureau's own addresses included",
        "'550 5.1.1 ... Recipient address rejected: User unknown': smtplib's SMTPRecipientsRefused",
        endpoints=(SmtpEndpoint,),
    ),
    ScenarioSpec(
        ATTACHMENT_TOO_LARGE,
        "the attachment limit drops to `max_size` bytes: a mail whose file is larger is refused",
        "'552 5.3.4 Message size exceeds fixed limit' after DATA: smtplib's SMTPDataError",
        endpoints=(SmtpEndpoint,),
        parameters=(Parameter("max_size", 1024, "the largest attachment taken, in bytes", 0, 2**31),),
    ),
]
