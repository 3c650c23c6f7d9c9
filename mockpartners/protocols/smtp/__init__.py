"""The SMTP adapter: an aiosmtpd server per endpoint on the suite's loop, STARTTLS then AUTH, every
connection a session and every refusal journalled with SMTP's own code (INSEE's PECOTO)."""

from ._server import SmtpServer

__all__ = ["SmtpServer"]
