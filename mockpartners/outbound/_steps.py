"""Every step of an outbound connection, recorded through the caller's ``record`` (the partner's journal).

A step is recorded once, when it ends: ``outcome="ok"`` with what it found, or ``outcome="failed"`` with the
reason (:data:`~._errors.REASONS`) and the message the customer reads. Every event of one connection
carries the same ``connection`` id, and the server's ``host``, ``port`` and ``type``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..model._customer_server import CustomerServer
from ._errors import OutboundError

__all__ = ["KINDS", "Recorder", "Steps", "Translate"]

KINDS = {
    "outbound.connect": "connecting",
    "outbound.tls": "negotiating TLS",
    "outbound.auth": "logging in",
    "outbound.list": "listing",
    "outbound.exists": "looking for",
    "outbound.put": "uploading",
    "outbound.get": "downloading",
    "outbound.delete": "deleting",
    "outbound.disconnect": "disconnecting",
}
"""The events an outbound connection records, and the step each one is, as messages name it."""


Recorder = Callable[..., object]
"""Where steps go, called as ``record(kind, outcome=..., **detail)``: ``Journal.record`` fits (``path`` and
``outcome`` become its columns, the rest its detail), and so does any ``def record(kind, *, outcome,
**detail)``. (A Protocol would refuse ``Journal.record``: its ``kind`` may also be given by name.)"""


Translate = Callable[[BaseException, str, str | None], OutboundError | None]
"""A protocol's reading of a library error met during step ``kind`` on ``path``; None: not the server's
doing (a bug of ours), which is raised as it is."""


@dataclass
class Steps:
    """Records one connection's steps with its identity (server, connection id)."""

    record: Recorder
    server: CustomerServer
    connection: str = field(default_factory=lambda: "out-" + secrets.token_hex(4))

    def ok(self, kind: str, path: str | None = None, **detail: Any) -> None:
        self.record(kind, outcome="ok", **self._identity(path), **detail)

    def failed(
        self, kind: str, error: OutboundError, path: str | None = None, **detail: Any
    ) -> OutboundError:
        """Record ``error`` as the end of step ``kind``, and give it back to raise."""
        self.record(
            kind,
            outcome="failed",
            **self._identity(path),
            reason=error.reason,
            message=error.message,
            **detail,
        )
        return error

    @contextlib.contextmanager
    def step(self, kind: str, translate: Translate, path: str | None = None) -> Iterator[dict[str, Any]]:
        """Run a step: what it adds to the yielded dict is recorded with its outcome; a library error is
        translated into the :class:`OutboundError` it means and raised as such."""
        found: dict[str, Any] = {}
        try:
            yield found
        except OutboundError as error:
            raise self.failed(kind, error, path, **found) from None
        except Exception as error:
            translated = translate(error, kind, path)
            if translated is None:
                raise
            raise self.failed(kind, translated, path, **found) from error
        self.ok(kind, path, **found)

    def _identity(self, path: str | None) -> dict[str, Any]:
        identity: dict[str, Any] = {
            "connection": self.connection,
            "host": self.server.host,
            "port": self.server.port,
            "type": self.server.type,
        }
        if path is not None:
            identity["path"] = path
        return identity
