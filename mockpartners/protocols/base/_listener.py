"""What every listener does, whatever its protocol: listen as the port scenarios say (closed, a firewall that
drops, or the real server), restart (every connection cut, then listening again), and follow the scenarios
that change it while serving.

An adapter says only what differs: how it listens and stops listening (:meth:`Listener._open`,
:meth:`Listener._close`), how it cuts its connections (:meth:`Listener._drop_connections`), and which loop
runs it (:meth:`Listener._submit`: asyncio for SFTP, pyftpdlib's own thread for FTPS). The steps below are
coroutines: on asyncio they may wait, on another loop they never do and :func:`run_to_end` runs them.
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ...model.errors import PortInUseError
from ...ports.endpoint import EndpointPort
from ...scenarios import names

if TYPE_CHECKING:
    from ...model._endpoint import EndpointModel

__all__ = ["Listener", "Work", "bind_error", "run_to_end", "silent_listener"]

Work = Coroutine[Any, Any, None]
Spec = TypeVar("Spec", bound="EndpointModel")


class Listener(ABC, Generic[Spec]):
    """One endpoint of a partner, listening on ``host``: the port ``requested`` (0: any free one), then
    ``port``, where it listens now."""

    follows: ClassVar[frozenset[str]] = names.LISTENING
    """Scenarios whose change makes the listener apply the scenarios again (adapters add their own)."""

    def __init__(self, partner: EndpointPort, name: str, spec: Spec, host: str, port: int) -> None:
        self.partner = partner
        self.name = name
        self.spec = spec
        self.host = host
        self.requested_port = port
        self.port = port
        self.limits = partner.connection_limits()
        self._listening = False
        self._hold: socket.socket | None = None
        self._serving = False
        partner.scenarios.subscribe(self._scenario_changed)

    # -- what differs between adapters --------------------------------------------------------------------

    @abstractmethod
    async def _open(self, port: int) -> int:
        """Listen on ``port`` (0: any free one); the port listened on. OSError if it is taken."""

    @abstractmethod
    async def _close(self) -> None:
        """Stop listening; connections already open go on."""

    @abstractmethod
    async def _drop_connections(self, reason: str) -> None:
        """Cut every connection of this endpoint (a server that stops or restarts)."""

    @abstractmethod
    def _submit(self, work: Work, *, wait: bool) -> None:
        """Run ``work`` on the loop that serves this endpoint: called on that loop, it runs after the
        current event, never waited for; from any other thread, waited for if ``wait``."""

    def submit(self, work: Work, *, wait: bool = False) -> None:
        """Run ``work`` on the loop that serves this endpoint, from any thread (an account cut while one of
        its sessions is connected)."""
        self._submit(work, wait=wait)

    async def _scenarios_applied(self) -> None:
        """What else the scenarios change once the port is as they say (host keys, a TLS context)."""

    # -- lifecycle, the same for every protocol -----------------------------------------------------------

    async def start(self) -> None:
        """Listen on the requested port (a taken port is one clear error), then as the scenarios say."""
        try:
            await self._listen(self.requested_port)
        except OSError as error:
            raise bind_error(self.partner.name, self.name, self.host, self.requested_port, error) from None
        await self._apply_scenarios()
        self._serving = True

    async def stop(self) -> None:
        """Nothing listening and every connection cut: the suite is stopping."""
        self._serving = False
        await asyncio.to_thread(self._submit, self._close_all("server stopping"), wait=True)

    async def restart(self) -> None:
        """What a restarting server does to its clients: every connection cut, then listening again (as
        the scenarios say). Runs on the adapter's loop."""
        await self._close_all("server restarting")
        await self._apply_scenarios()
        self.partner.journal.record("endpoint.restart", endpoint=self.name)

    def restart_soon(self) -> None:
        """Restart once the current event is handled (a transfer that reached ``restart-mid-transfer``)."""
        self._submit(self.restart(), wait=False)

    def reload_credentials(self) -> None:
        """Credentials changed while serving (a renewed certificate): nothing to reload unless the adapter
        serves them to each new connection (a TLS context)."""

    def known_hosts_lines(self) -> list[str]:
        """OpenSSH known_hosts lines for this endpoint (none unless it speaks SSH)."""
        return []

    # -- the port scenarios -------------------------------------------------------------------------------

    def _scenario_changed(self, name: str, parameters: dict[str, Any] | None) -> None:
        if self._serving and name in self.follows:
            self._submit(self._apply_scenarios(), wait=True)

    async def _apply_scenarios(self) -> None:
        """Listen (or not) as the port scenarios say: closed, a firewall that drops, or the real server."""
        scenarios = self.partner.scenarios
        closed = any(scenarios.active(name) is not None for name in (names.PORT_CLOSED, names.GATEWAY_DOWN))
        dropping = not closed and scenarios.active(names.FIREWALL_DROP) is not None
        if (closed or dropping) and self._listening:
            await self._close()
            self._listening = False
        if self._hold is not None and not dropping:
            self._hold.close()
            self._hold = None
        if dropping and self._hold is None:
            self._hold = silent_listener(self.host, self.port)
        if not closed and not dropping and not self._listening:
            await self._listen(self.port)
        await self._scenarios_applied()

    async def _listen(self, port: int) -> None:
        self.port = await self._open(port)
        self._listening = True

    async def _close_all(self, reason: str) -> None:
        if self._listening:
            await self._close()
            self._listening = False
        if self._hold is not None:
            self._hold.close()
            self._hold = None
        await self._drop_connections(reason)


def run_to_end(work: Work) -> None:
    """Run one of the listener's steps on a loop that is not asyncio: there, a step never waits, so it ends
    at its first resumption (one that waited would be a bug in the adapter, reported as such)."""
    try:
        work.send(None)
    except StopIteration:
        return
    work.close()
    raise RuntimeError("a listener step waited for something outside asyncio")


def bind_error(partner: str, endpoint: str, host: str, port: int, error: OSError) -> PortInUseError:
    """Why a partner's endpoint cannot listen, with the two ways to give it another port."""
    choices = f"--ports ephemeral, or --set {partner}.endpoints.{endpoint}.port=N"
    return PortInUseError.binding(f"{partner} {endpoint}", host, port, error, choices)


def silent_listener(host: str, port: int) -> socket.socket:
    """A port that listens and never accepts, like one behind a firewall that drops (scenario
    ``firewall-drop``): clients connect and wait for a greeting in vain, and the kernel's backlog bounds how
    many wait, so nothing is held open on our side."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)
