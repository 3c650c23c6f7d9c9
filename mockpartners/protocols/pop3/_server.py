"""A POP3 endpoint of a partner on the suite's loop: each connection a session of the partner (banned
addresses and connection limits refused with ``-ERR [SYS/TEMP]`` before the greeting), served by a
:class:`~._commands.Pop3Connection` until QUIT, the idle timeout, or the server stopping."""

from __future__ import annotations

import asyncio
import ssl

from ...model.loading import Pop3Endpoint
from ..base import StarttlsListener
from ._commands import Pop3Connection

__all__ = ["Pop3Server"]


class Pop3Server(StarttlsListener[Pop3Endpoint]):
    """Serves one ``protocol: pop3`` endpoint of a profile."""

    protocol = "pop3"

    async def _start_server(self, port: int) -> asyncio.Server:
        return await asyncio.start_server(
            self._serve, self.host, port, limit=self.spec.max_command_length + 2
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("", 0)
        session = self.partner.new_session("pop3", str(peer[0]), int(peer[1]))
        refusal = session.connected(self.limits, endpoint=self.name)
        if refusal is not None:
            session.ended(refusal.reason)
            writer.write(f"-ERR [SYS/TEMP] {refusal.reason}\r\n".encode())
            await _closed(writer)
            return
        connection = Pop3Connection(self, session, reader, writer)
        self.connections.add(connection)
        try:
            reason = await connection.run()
        finally:
            self.connections.discard(connection)
        session.ended(self.closing_reason or reason)
        await _closed(writer)


async def _closed(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), timeout=5)
    except (TimeoutError, OSError, ssl.SSLError):
        pass
