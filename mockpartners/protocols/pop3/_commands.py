"""One POP3 connection: RFC 1939's states (AUTHORIZATION, TRANSACTION, UPDATE at QUIT) as a command table.

Commands: USER, PASS, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT (RFC 1939), CAPA (RFC 2449) and
STLS (RFC 2595) on the partner's TLS policy. Where the endpoint requires TLS, USER and PASS before STLS are
refused with Dovecot's words, and CAPA lists no USER until then. Refusals are ``-ERR``, with RFC 2449's
response codes where one fits (``[AUTH]``, ``[SYS/TEMP]``). Each command is a ``pop3.command`` event (PASS
without its argument); RETR journals ``mail.read`` (the outbox's), deletions ``mail.deleted`` at QUIT.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...infra.outbox import MailSummary
from ...ports.session import Session

if TYPE_CHECKING:
    from ._server import Pop3Server

__all__ = ["Pop3Connection"]

Handler = Callable[["Pop3Connection", str], Awaitable[None]]

_NEEDS_TLS = "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
_AUTHORIZATION = frozenset({"USER", "PASS", "STLS", "CAPA", "QUIT", "NOOP"})


class _Quit(Exception):
    """The connection ends (QUIT, a line too long, the idle timeout): why."""


class Pop3Connection:
    """Serves one client until it quits; :meth:`run` says why it ended."""

    def __init__(
        self, server: Pop3Server, session: Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.session = session
        self.reader = reader
        self.writer = writer
        self.tls = False
        self.user = ""
        self.address = ""
        self.messages: list[MailSummary] = []
        self.deleted: set[int] = set()

    def close(self) -> None:
        self.writer.close()

    async def run(self) -> str:
        await self._reply(f"+OK {self.server.spec.hostname} POP3 server ready")
        try:
            while True:
                line = await self._line()
                verb, _, argument = line.partition(" ")
                await self._dispatch(verb.upper(), argument.strip())
        except _Quit as quit_:
            return str(quit_)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as error:
            return f"connection lost: {error}" if str(error) else "connection lost"
        except Exception as error:  # a bug of ours: journalled, the client told, the server serves on
            self.session.record("pop3.error", outcome="failed", error=f"{type(error).__name__}: {error}")
            self.writer.write(b"-ERR [SYS/PERM] Internal error\r\n")
            return "internal error"

    async def _line(self) -> str:
        timeout = self.server.spec.idle_timeout.total_seconds()
        try:
            raw = await asyncio.wait_for(self.reader.readline(), timeout)
        except TimeoutError:
            self.session.record("pop3.timeout", outcome="refused", reason=f"idle for {timeout:g} s")
            await self._reply("-ERR [SYS/TEMP] Disconnected for inactivity.")
            raise _Quit("idle timeout (idle_timeout)") from None
        except ValueError:  # longer than the stream's limit
            await self._reply("-ERR Command line too long")
            raise _Quit("command line too long") from None
        if not raw:
            raise _Quit("")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    async def _dispatch(self, verb: str, argument: str) -> None:
        handler = _COMMANDS.get(verb)
        logged_in = self.session.account is not None
        if handler is None:
            await self._refused(verb, "-ERR Unknown command")
        elif logged_in and verb in ("USER", "PASS", "STLS"):
            await self._refused(verb, "-ERR Already authenticated")
        elif not logged_in and verb not in _AUTHORIZATION:
            await self._refused(verb, "-ERR Unknown command in AUTHORIZATION state, log in first")
        else:
            await handler(self, argument)

    async def _reply(self, line: str) -> None:
        self.writer.write(line.encode("utf-8") + b"\r\n")
        await self.writer.drain()

    async def _ok(self, verb: str, line: str, **detail: Any) -> None:
        self.session.record("pop3.command", command=verb, **detail)
        await self._reply(line)

    async def _refused(self, verb: str, line: str, **detail: Any) -> None:
        self.session.record("pop3.command", outcome="refused", command=verb, reply=line, **detail)
        await self._reply(line)

    async def _lines(self, lines: list[bytes]) -> None:
        """A multi-line answer: each line dot-stuffed, then the terminating dot."""
        stuffed = [b"." + line if line.startswith(b".") else line for line in lines]
        self.writer.write(b"\r\n".join([*stuffed, b"."]) + b"\r\n")
        await self.writer.drain()

    # -- AUTHORIZATION --------------------------------------------------------------------------------------

    def _needs_tls(self) -> bool:
        return self.server.spec.require_tls and not self.tls

    async def capa(self, argument: str) -> None:
        capabilities = ["TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"]
        if not self.tls and self.session.account is None:
            capabilities.append("STLS")
        if not self._needs_tls() and self.session.account is None:
            capabilities.append("USER")
        await self._ok("CAPA", "+OK Capability list follows")
        await self._lines([item.encode() for item in [*capabilities, "IMPLEMENTATION mockpartners"]])

    async def stls(self, argument: str) -> None:
        if self.tls:
            await self._refused("STLS", "-ERR TLS already active")
            return
        await self._ok("STLS", "+OK Begin TLS negotiation now.")
        try:
            await self.writer.start_tls(self.server.ssl)
        except (ssl.SSLError, OSError) as error:
            self.session.record("pop3.stls", outcome="failed", error=str(error))
            raise _Quit(f"TLS handshake failed: {error}") from None
        self.tls = True
        ssl_object = self.writer.get_extra_info("ssl_object")
        self.session.record("pop3.stls", version=ssl_object.version() if ssl_object else None)

    async def user_(self, argument: str) -> None:
        if self._needs_tls():
            await self._refused("USER", _NEEDS_TLS)
            return
        self.user = argument
        await self._ok("USER", "+OK", user=argument)

    async def pass_(self, argument: str) -> None:
        if self._needs_tls():
            await self._refused("PASS", _NEEDS_TLS)
            return
        if not self.user:
            await self._refused("PASS", "-ERR No username given.")
            return
        partner = self.server.partner
        reason = partner.accounts.refusal(
            self.user, "password", endpoint=self.server.name, address=self.session.address, password=argument
        )
        entry = partner.accounts.get(self.user)
        mailboxes = partner.mailboxes
        if not reason and (entry is None or not entry.account.mail or mailboxes is None):
            reason = f"account {self.user!r} has no mailbox (no mail address, or no outbox)"
        self.session.auth_attempt(self.user, "password", not reason, reason)
        if reason or entry is None or mailboxes is None:
            self.user = ""
            await self._reply("-ERR [AUTH] Authentication failed.")
            return
        self.session.logged_in(entry.username, "password", cut=lambda why: self.server.submit(self._cut()))
        self.address = entry.account.mail or ""
        self.messages = mailboxes.messages(self.address)
        await self._reply("+OK Logged in.")

    async def _cut(self) -> None:
        self.close()

    async def quit_(self, argument: str) -> None:
        mailboxes = self.server.partner.mailboxes
        deleted = [self.messages[index] for index in sorted(self.deleted)]
        if deleted and mailboxes is not None and self.session.account is not None:
            mailboxes.delete(self.address, deleted, self.session.account)
        await self._ok("QUIT", "+OK Logging out.", deleted=len(deleted))
        raise _Quit("client quit")

    async def noop(self, argument: str) -> None:
        await self._ok("NOOP", "+OK")

    # -- TRANSACTION ----------------------------------------------------------------------------------------

    def _message(self, argument: str) -> tuple[int, MailSummary] | None:
        """The message numbered ``argument`` (1-based), unless missing or marked deleted."""
        if not argument.isdigit() or not 1 <= int(argument) <= len(self.messages):
            return None
        index = int(argument) - 1
        return None if index in self.deleted else (index, self.messages[index])

    def _present(self) -> list[tuple[int, MailSummary]]:
        return [(index, item) for index, item in enumerate(self.messages) if index not in self.deleted]

    async def _no_such(self, verb: str, argument: str) -> None:
        await self._refused(verb, "-ERR There's no message " + (argument or "given"), message=argument)

    async def stat(self, argument: str) -> None:
        present = self._present()
        octets = sum(item.size for _, item in present)
        await self._ok("STAT", f"+OK {len(present)} {octets}")

    async def list_(self, argument: str) -> None:
        await self._listing("LIST", argument, lambda item: str(item.size))

    async def uidl(self, argument: str) -> None:
        await self._listing("UIDL", argument, _unique_id)

    async def _listing(self, verb: str, argument: str, shown: Callable[[MailSummary], str]) -> None:
        if argument:
            found = self._message(argument)
            if found is None:
                await self._no_such(verb, argument)
                return
            await self._ok(verb, f"+OK {found[0] + 1} {shown(found[1])}", message=argument)
            return
        present = self._present()
        await self._ok(verb, f"+OK {len(present)} messages")
        await self._lines([f"{index + 1} {shown(item)}".encode() for index, item in present])

    async def retr(self, argument: str) -> None:
        found = self._message(argument)
        mailboxes = self.server.partner.mailboxes
        if found is None or mailboxes is None:
            await self._no_such("RETR", argument)
            return
        summary = found[1]
        lines = mailboxes.raw(summary).splitlines()
        await self._ok("RETR", f"+OK {summary.size} octets", message=argument, id=summary.id)
        await self._lines(lines)
        mailboxes.read(summary, self.session.account or "")

    async def top(self, argument: str) -> None:
        number, _, count = argument.partition(" ")
        found = self._message(number)
        mailboxes = self.server.partner.mailboxes
        if found is None or mailboxes is None or not count.strip().isdigit():
            await self._refused("TOP", "-ERR Syntax: TOP <message> <lines>, of a message there is")
            return
        lines = mailboxes.raw(found[1]).splitlines()
        end = lines.index(b"") if b"" in lines else len(lines)
        await self._ok("TOP", "+OK", message=number, lines=int(count))
        await self._lines(lines[: end + 1 + int(count)])

    async def dele(self, argument: str) -> None:
        found = self._message(argument)
        if found is None:
            await self._no_such("DELE", argument)
            return
        self.deleted.add(found[0])
        await self._ok("DELE", "+OK Marked to be deleted.", message=argument, id=found[1].id)

    async def rset(self, argument: str) -> None:
        self.deleted.clear()
        await self._ok("RSET", f"+OK {len(self.messages)} messages")


def _unique_id(summary: MailSummary) -> str:
    """Stable across restarts and outbox resets: from the Message-ID, not the outbox's number."""
    return hashlib.sha256((summary.message_id or summary.id).encode()).hexdigest()[:24]


_COMMANDS: dict[str, Handler] = {
    "CAPA": Pop3Connection.capa,
    "STLS": Pop3Connection.stls,
    "USER": Pop3Connection.user_,
    "PASS": Pop3Connection.pass_,
    "QUIT": Pop3Connection.quit_,
    "NOOP": Pop3Connection.noop,
    "STAT": Pop3Connection.stat,
    "LIST": Pop3Connection.list_,
    "UIDL": Pop3Connection.uidl,
    "RETR": Pop3Connection.retr,
    "TOP": Pop3Connection.top,
    "DELE": Pop3Connection.dele,
    "RSET": Pop3Connection.rset,
}
"""RFC 1939's commands and RFC 2449's CAPA, RFC 2595's STLS: each verb's handler."""
