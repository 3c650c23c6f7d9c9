"""The POP3 adapter: a small asyncio server (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595) serving each
account the mailbox of its mail address (INSEE's PECOTO answers, the "Retrait" of TASK Collectivités' POP/SMTP
protocol). No maintained POP3 server library exists for Python: this one is a command table."""

from ._server import Pop3Server

__all__ = ["Pop3Server"]
