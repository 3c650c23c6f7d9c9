"""A suite: the partners served from one state directory by one process (what ``mockpartners up`` runs).

Protocol servers live on one asyncio loop in a background thread and partner-side jobs on another
thread, so a suite runs the same under the CLI, inside a pytest process, or in a container.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections import Counter
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from ..infra.clock import Clock
from ..infra.endpoints import AdminInfo, OutboxInfo, SuiteInfo
from ..infra.journal import Journal
from ..infra.limits import RESOURCE_ERRORS, OnceLog, out_of_resources, raise_descriptor_limit
from ..infra.mailboxes import Mailboxes
from ..infra.outbox import MailLimits, Outbox, relay_address
from ..infra.state import DEFAULT_STATE_DIR, StateDir
from ..model.errors import MockPartnersError, StateError, UsageError
from ..model.loading import Endpoint, Profile, load_profile, load_profiles
from ..processors import Scheduler
from ..protocols import EndpointServer, server_for
from .partner import Partner

__all__ = ["DEFAULT_MAIL_PORT", "PORT_NUMBERS", "Suite", "checked_port"]

PORT_NUMBERS = "a port number from 0 to 65535 (0: a free port)"
DEFAULT_MAIL_PORT = 2525
"""The outbox's SMTP sink, nominally: the unprivileged stand-in for 25 that mail tools know."""

Ports = Literal["nominal", "ephemeral"]
_T = TypeVar("_T")


def checked_port(value: object, what: str) -> int:
    """A TCP port, checked where it is given: a bad one must fail before the state directory is touched."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise UsageError(f"{what}: expected {PORT_NUMBERS}, got {value!r}")
    return value


class Suite:
    """Start with :meth:`start` (or ``with Suite(...) as suite``), stop with :meth:`stop`."""

    def __init__(
        self,
        partners: Sequence[str] = (),
        *,
        state_dir: str | Path = DEFAULT_STATE_DIR,
        ports: Ports = "nominal",
        host: str = "127.0.0.1",
        profile_files: Sequence[str | Path] = (),
        settings: Sequence[str] = (),
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        new_host_keys: bool = False,
        credentials_from: str | Path | None = None,
        mail_relay: str | None = None,
        mail_port: int | None = None,
        mail_limits: MailLimits | None = None,
    ) -> None:
        """``mail_relay`` (``HOST:PORT``): where partner mail also goes besides the outbox (a team's
        Mailpit); ``mail_port``: the outbox's SMTP port (default 2525, a free one with ephemeral ports)."""
        if ports not in ("nominal", "ephemeral"):
            raise UsageError(f"ports: expected 'nominal' or 'ephemeral', got {ports!r}")
        self._mail_relay = relay_address(mail_relay) if mail_relay else None
        self._mail_port = checked_port(mail_port, "mail_port") if mail_port is not None else None
        self._mail_limits = mail_limits or MailLimits()
        self.state = StateDir(state_dir)
        self.ports = ports
        self.host = host
        self._wanted = list(partners)
        self._profile_files = list(profile_files)
        self._settings = list(settings)
        self._overrides = dict(overrides or {})
        self._new_host_keys = new_host_keys
        self._credentials_from = StateDir(credentials_from) if credentials_from else None
        self.clock = Clock()
        self.journal: Journal | None = None
        self._outbox: Outbox | None = None
        self.partners: dict[str, Partner] = {}
        self._servers: list[EndpointServer] = []
        self._scheduler = Scheduler(self.clock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.resource_log = OnceLog(logging.getLogger("mockpartners"))

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> Suite:
        profiles = self._profiles()
        raise_descriptor_limit()
        self.state.lock()
        try:
            self.journal = Journal(self.state.journal_path, self.clock)
            self._restore_clock()
            names = [profile.name for profile in profiles]
            self.journal.record("suite.start", partners=names, pid=os.getpid())
            self.resource_log.listeners.append(self._resource_event)
            self._outbox = self._new_outbox(self.journal)
            for profile in profiles:
                self.partners[profile.name] = self._prepare(profile)
            self._start_loop()
            self._run(self._outbox.start())
            for partner in self.partners.values():
                self._serve(partner)
            self._start_services()
            self._scheduler.start()
            self.info.write(self.state.endpoints_path)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close every connection and listener, let partner jobs finish, mark endpoints.json stopped."""
        if self._loop is not None:
            self._stop_services()
        if self._outbox is not None:
            self._outbox.close()  # the mails being sent reach the sink first
        if self._loop is not None:
            with contextlib.suppress(MockPartnersError, RuntimeError, TimeoutError):
                if self._outbox is not None:
                    self._run(self._outbox.stop(), timeout=15)
                self._run(self._stop_servers(), timeout=15)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
            self._loop = None
        self._scheduler.stop()
        if self.journal is not None:
            if self.partners and self.state.endpoints_path.exists():
                self.info_with(status="stopped").write(self.state.endpoints_path)
            self.journal.record("suite.stop")
            self.journal.close()
            self.journal = None
        self._outbox = None
        self.state.unlock()

    def __enter__(self) -> Suite:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what users ask -----------------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Partner:
        try:
            return self.partners[name]
        except KeyError:
            raise StateError(
                f"no partner {name!r} in this suite (it runs {', '.join(self.partners)})"
            ) from None

    @property
    def outbox(self) -> Outbox:
        """The suite's mail outbox (docs/mail.md): ``messages()``, ``message(id)``, ``wait_for(to=...)``."""
        if self._outbox is None:
            raise StateError("the suite is not running: its outbox is closed")
        return self._outbox

    @property
    def info(self) -> SuiteInfo:
        return self.info_with(status="running")

    def info_with(self, *, status: str) -> SuiteInfo:
        return SuiteInfo(
            str(self.state.path),
            str(self.state.journal_path),
            status,
            os.getpid(),
            {name: partner.info() for name, partner in self.partners.items()},
            admin=self._admin_info(),
            outbox=self._outbox_info(),
        )

    def reset(self, partner: str | None = None) -> None:
        """Reset one partner (or all of them, the clock and the outbox): empty trees, profile scenarios,
        journal kept."""
        for chosen in [self[partner]] if partner else list(self.partners.values()):
            chosen.reset()
        if partner is None:
            self.clock.reset()
            self.outbox.clear()

    # -- internals ----------------------------------------------------------------------------------------

    def _profiles(self) -> list[Profile]:
        profiles = load_profiles(self._wanted, self._profile_files, self._settings)
        if not self._overrides:
            return profiles
        unknown = set(self._overrides) - {profile.name for profile in profiles}
        if unknown:
            raise StateError(f"overrides name partners that are not started: {', '.join(sorted(unknown))}")
        return [
            load_profile(profile.name, self._settings, self._overrides[profile.name])
            if profile.name in self._overrides
            else profile
            for profile in profiles
        ]

    def _new_outbox(self, journal: Journal) -> Outbox:
        """One outbox per suite, kept in ``STATE/outbox`` across restarts."""
        port = self._mail_port if self._mail_port is not None else DEFAULT_MAIL_PORT
        return Outbox(
            self.state.path / "outbox",
            journal,
            host=self.host,
            port=0 if self.ports == "ephemeral" and self._mail_port is None else port,
            limits=self._mail_limits,
            relay=self._mail_relay,
        )

    def _outbox_info(self) -> OutboxInfo | None:
        outbox = self._outbox
        if outbox is None:
            return None
        relay = f"{outbox.relay[0]}:{outbox.relay[1]}" if outbox.relay else None
        return OutboxInfo(outbox.host, outbox.port, str(outbox.directory), relay)

    def _restore_clock(self) -> None:
        """The virtual clock goes on where the last run left it (``clock.json``), and never behind the
        journal's newest event (the file lost, or written by an older version): times never go back across
        a restart. Only an explicit ``clock reset`` returns to the wall clock."""
        assert self.journal is not None
        self.clock.on_change(lambda: self.state.save_clock(self.clock))
        self.state.restore_clock(self.clock)
        newest = self.journal.events(limit=1)
        if newest:
            self.clock.not_before(newest[0].time)

    def _prepare(self, profile: Profile) -> Partner:
        assert self.journal is not None
        if self._credentials_from is not None:
            self.state.copy_credentials_from(self._credentials_from, profile.name)
        partner = Partner(profile, self.state, self.journal, self._scheduler, self.resource_log)
        partner.outbox = self._outbox
        if self._outbox is not None:
            mailboxes = self.state.partner_dir(profile.name) / "mailboxes.json"
            partner.mailboxes = Mailboxes(self._outbox, mailboxes, partner.journal)
        partner.prepare(new_host_keys=self._new_host_keys)
        return partner

    def _serve(self, partner: Partner) -> None:
        for name, spec in partner.profile.endpoints.items():
            server = server_for(partner, name, spec, self.host, self._port(partner.name, name, spec))
            self._run(server.start())
            self._servers.append(server)
            partner.servers.append(server)
        partner.refresh_endpoint_infos()
        partner.info_changed = self._info_changed

    def _info_changed(self) -> None:
        """A partner's endpoints changed while serving (a renewed certificate): endpoints.json follows."""
        if self.journal is not None:
            self.info.write(self.state.endpoints_path)

    def _port(self, partner: str, name: str, spec: Endpoint) -> int:
        """The endpoint's own port; its unprivileged one when not root, or when its privileged port is the
        nominal port of another endpoint started too (MAGDA's FTPES and Lucca's, both 21 when root: neither
        gets it, whatever the order)."""
        if self.ports == "ephemeral":
            return 0
        if spec.port < 1024 and spec.port in self._shared_ports() and spec.unprivileged_port is not None:
            return spec.unprivileged_port
        if spec.port < 1024 and os.geteuid() != 0:
            if spec.unprivileged_port is None:
                raise StateError(
                    f"{partner} {name}: port {spec.port} needs root; set "
                    f"{partner}.endpoints.{name}.unprivileged_port or use --ports ephemeral"
                )
            return spec.unprivileged_port
        return spec.port

    def _shared_ports(self) -> set[int]:
        """Nominal ports that several endpoints of the started partners have."""
        claims = Counter(
            spec.port for partner in self.partners.values() for spec in partner.profile.endpoints.values()
        )
        return {port for port, count in claims.items() if count > 1}

    # -- what a runtime adds (the admin API, later the dashboard): the suite itself knows no web --------

    def _start_services(self) -> None:
        """Start what serves the suite to users, on its loop, once the partners listen."""

    def _stop_services(self) -> None:
        """Stop it again, first thing when the suite stops."""

    def _admin_info(self) -> AdminInfo | None:
        """Where the admin API listens, for endpoints.json (None: no admin API)."""
        return None

    def _start_loop(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(self._loop_exception)
        self._thread = threading.Thread(target=self._loop.run_forever, name="mockpartners-io", daemon=True)
        self._thread.start()

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Out of descriptors, asyncio reports every refused accept with a traceback, once a second per
        listener: say it once a minute instead, with what to do."""
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in RESOURCE_ERRORS:
            self.resource_log.report("descriptors", out_of_resources(error))
            return
        loop.default_exception_handler(context)

    def _resource_event(self, key: str, message: str) -> None:
        journal = self.journal
        if journal is not None:
            journal.record("suite.resource", outcome="failed", resource=key, reason=message)

    def _run(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 30) -> _T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _stop_servers(self) -> None:
        for server in reversed(self._servers):
            await server.stop()
        self._servers.clear()
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        if leftovers:
            _, pending = await asyncio.wait(leftovers, timeout=5)
            # what is still running (an HTTP handler lingering over an unread body) is cancelled and
            # given its turn to end, as asyncio.run does, rather than destroyed with the loop
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)
