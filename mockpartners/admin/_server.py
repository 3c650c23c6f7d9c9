"""Placeholder: the admin HTTP server is being written (see the helper brief)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..suite import Suite


class AdminServer:
    def __init__(self, suite: Suite, host: str, port: int, token: str | None) -> None:
        self.suite, self.host, self.port, self.token = suite, host, port, token

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        return None
