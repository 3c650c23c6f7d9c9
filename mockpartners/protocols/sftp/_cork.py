"""Send what one turn of the event loop writes on an SSH connection in one system call.

asyncssh writes every SSH packet to its transport on its own (and an empty ``MSG_IGNORE`` before each one),
with TCP_NODELAY set: a download of 32 KiB blocks paid two ``send()`` calls and two TCP segments per packet,
about a third of the server's time (bench/: SFTP download against sshd). Gathering the writes of one turn
and sending them together once the turn's other callbacks ran changes no byte on the wire, only how
many calls carry them; sshd does the same with its output buffer.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["cork"]


class _CorkedTransport:
    """A transport whose writes leave together at the end of the loop's turn; the rest is the real one."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()  # a disconnect message written just before must still leave
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(data) for data in self._pending)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def cork(connection: Any) -> None:
    """Wrap an asyncssh connection's transport (a private attribute: left alone if asyncssh changes)."""
    transport = getattr(connection, "_transport", None)
    loop = getattr(connection, "_loop", None)
    if isinstance(transport, asyncio.Transport) and isinstance(loop, asyncio.AbstractEventLoop):
        connection._transport = _CorkedTransport(transport, loop)
