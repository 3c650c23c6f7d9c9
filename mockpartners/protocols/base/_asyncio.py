"""A listener served on the suite's own asyncio loop (SFTP with asyncssh, HTTP with aiohttp): its steps run
there, submitted from any thread."""

from __future__ import annotations

import asyncio

from ._listener import Listener, Spec, Work

__all__ = ["AsyncioListener"]


class AsyncioListener(Listener[Spec]):
    """A :class:`Listener` whose loop is the one it is started on."""

    _loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()  # held until done: the loop keeps weak references
        await super().start()

    def _submit(self, work: Work, *, wait: bool) -> None:
        assert self._loop is not None, "start the listener first"
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            task = self._loop.create_task(work)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            future = asyncio.run_coroutine_threadsafe(work, self._loop)
            if wait:
                future.result(timeout=30)
