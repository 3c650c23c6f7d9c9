"""A running partner: its profile, its file tree, its processors, and what tests may ask of it.

Protocol adapters talk to a :class:`Partner` through :class:`~mockpartners.ports.session.Session`; processors
and tests talk to it directly. Whatever the protocol a file came by, the same partner code handles it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..infra.atomic import write_atomically
from ..infra.clock import Clock
from ..infra.credentials import SshCredentials, TlsCredentials
from ..infra.endpoints import AccountInfo, EndpointInfo, PartnerInfo
from ..infra.journal import Event, Journal, Query
from ..infra.limits import ConnectionLimits, OnceLog, StorageLimits
from ..infra.mailboxes import Mailboxes
from ..infra.outbox import Outbox
from ..infra.ssh_keys import KeyPair
from ..infra.state import StateDir
from ..model.errors import StateError
from ..model.loading import Profile, Right, folder_table
from ..ports.accounts import AccountBook, AccountEntry
from ..ports.guard import LoginGuard
from ..ports.session import Session
from ..ports.stateful_files import StatefulFiles
from ..ports.storage import PartnerTree
from ..processors import (
    Failure,
    FileStatesProcessor,
    Processor,
    Scheduler,
    build_processors,
)
from ..scenarios import Scenarios, names
from ._accounts import FolderTables, close_interrupted_sessions, homes_of_others, moved_home, profile_accounts
from ._actions import PartnerActions
from ._emptying import empty, with_parents
from ._info import partner_info
from ._scenario_effects import HeldFolders, ScenarioEffects
from .contract import ContractReport, evaluate
from .files import AccountFiles

if TYPE_CHECKING:
    from ..protocols import EndpointServer

__all__ = ["Partner"]


class Partner(PartnerActions):
    def __init__(
        self,
        profile: Profile,
        state: StateDir,
        journal: Journal,
        scheduler: Scheduler,
        resource_log: OnceLog | None = None,
    ) -> None:
        self.profile = profile
        self.name = profile.name
        self.state = state
        self.journal = journal.bind(partner=profile.name).since(0)
        """What tests see: the journal after this partner's latest reset (docs/journal.md, "Whose events");
        what it records is this partner's."""
        self._whole_journal = journal
        self.clock: Clock = journal.clock
        self.scheduler = scheduler.lane(profile.name)
        self.resource_log = resource_log or OnceLog(logging.getLogger("mockpartners"))
        """Where listeners report running out of descriptors (once a minute, for the whole process)."""
        self._upload_folders = profile.inbox_folders()
        self._folder_tables = FolderTables(profile, lambda username: self.accounts.get(username))
        self.tree = PartnerTree(state.homes(profile.name), profile, self._adjust_rights, self._folder_tables)
        self.processors: tuple[Processor, ...] = build_processors(self, profile.processor_specs())
        """What the partner does on its side (pickup, retention...): the profile's processors, in order."""
        self.file_states = next(
            (item for item in self.processors if isinstance(item, FileStatesProcessor)), None
        )
        """The states of the files it makes available (the XFB gateway's B, T, E), where it has them."""
        self.stateful_files: tuple[StatefulFiles, ...] = tuple(
            item for item in self.processors if isinstance(item, StatefulFiles)
        )
        """Its processors that keep states of an account's files (XFB's B, T, E; TEDECO's mail statuses),
        as the admin API lists them."""
        self.outbox: Outbox | None = None
        """The suite's mail outbox (set by the suite that serves the partner)."""
        self.mailboxes: Mailboxes | None = None
        """The accounts' mailboxes over that outbox, as POP3 serves them (set with it)."""
        self.scenarios = Scenarios(profile.name, profile, journal)
        self.guard = LoginGuard(profile.failed_logins, self.clock)
        self.accounts: AccountBook = AccountBook(
            profile.name,
            profile,
            journal,
            prepare=self._account_added,
            changed=self._accounts_changed,
            moved=self._account_renamed,
            scenarios=self.scenarios,
        )
        """Who may log in, how and from where, for every protocol; changed while serving through it."""
        held = HeldFolders(state.partner_dir(profile.name) / "held", self.tree)
        self._scenario_effects = ScenarioEffects(self.scenarios, self.accounts, held)
        self.storage = StorageLimits(profile.limits, state.path, lambda name: self.tree.home(name).root)
        self.ssh: SshCredentials | None = None
        self.tls: TlsCredentials | None = None
        self.endpoint_infos: dict[str, EndpointInfo] = {}
        self.servers: list[EndpointServer] = []
        self.info_changed: Callable[[], None] = lambda: None
        self._changed_host_keys: tuple[KeyPair, ...] | None = None
        self._writers: Counter[tuple[str, str]] = Counter()
        self._writers_lock = threading.Lock()

    def prepare(self, *, new_host_keys: bool = False) -> None:
        """Credentials and homes on disk; then finish whatever a previous run left half done."""
        if self.profile.needs("ssh"):
            self.ssh = self.state.ssh_credentials(self.profile, new_host_keys=new_host_keys)
        if self.profile.needs("tls"):
            self.tls = self.state.tls_credentials(self.profile)
        self.accounts.load(profile_accounts(self.profile, self.state, self.ssh))
        self.tree.ensure_homes()
        self._scenario_effects.recover()
        close_interrupted_sessions(self.journal, self.name, self._watching)
        for processor in self.processors:
            processor.recover()
        for processor in self.processors:
            processor.start()

    def _account_added(self, entry: AccountEntry) -> None:
        """An account created while serving gets its home (and client certificate) before it can log in."""
        self.tree.home(entry.username).ensure_folders(folder_table(self.profile, entry.account))
        if entry.account.certificate and self.tls is not None:
            self.tls.account_certificate(entry.username)

    def _account_renamed(self, old: str, new: str) -> None:
        """A new login: its home (files and all) and its sample credentials follow it."""
        moved_home(self.tree.home(old).root, self.tree.home(new).root)
        self.tree.forget_home(old)
        if self.ssh is not None and old in self.ssh.accounts:
            self.ssh.accounts[new] = self.ssh.accounts.pop(old)

    def _accounts_changed(self) -> None:
        """endpoints.json and the cheat-sheet follow the accounts."""
        self._folder_tables.forget()
        self.info_changed()

    def _adjust_rights(self, folder: str, rights: tuple[Right, ...]) -> tuple[Right, ...]:
        """Scenarios ``rename-refused`` and ``setstat-refused`` take (or, switched off, give) these rights in
        the upload folders; the profile decides whether they start on."""
        uploads = self._upload_folders
        if folder not in uploads and not (folder and "write" in rights and not uploads):
            return rights
        adjusted = list(rights)
        for scenario, right in ((names.RENAME_REFUSED, "rename"), (names.SETSTAT_REFUSED, "setstat")):
            if scenario not in self.scenarios.specs:
                continue
            on = self.scenarios.active(scenario) is not None
            if on and right in adjusted:
                adjusted.remove(right)
            elif not on and right not in adjusted and "write" in adjusted:
                adjusted.append(right)  # type: ignore[arg-type]
        return tuple(adjusted)

    def refresh_endpoint_infos(self) -> None:
        """What the servers tell clients now (ports, keys, certificates), and a known_hosts file for them."""
        known_hosts = self.state.partner_dir(self.name) / "known_hosts"
        lines = [line for server in self.servers for line in server.known_hosts_lines()]
        write_atomically(known_hosts, ("\n".join(lines) + "\n").encode(), mode=0o644)
        self.endpoint_infos = {}
        for server in self.servers:
            self.endpoint_infos[server.name] = server.info(
                known_hosts if server.known_hosts_lines() else None
            )

    def changed_host_keys(self) -> tuple[KeyPair, ...]:
        """The host keys served while the ``host-key-changed`` scenario is on."""
        if self._changed_host_keys is None:
            self._changed_host_keys = self.state.changed_host_keys(self.profile)
        return self._changed_host_keys

    def new_session(self, protocol: str, address: str, port: int) -> Session:
        return Session(self, protocol, address, port)

    def connection_limits(self) -> ConnectionLimits:
        """The counters of one listener: connections per client address and in all (profile ``limits``)."""
        limits = self.profile.limits
        return ConnectionLimits(limits.connections_per_address, limits.connections)

    # -- what sessions tell the partner -------------------------------------------------------------------

    def watches(self, username: str, relative_path: str) -> bool:
        """Whether a processor of the partner takes files arriving at this path of this account's home."""
        return any(processor.watches(username, relative_path) for processor in self.processors)

    def _watching(self, username: str, relative_path: str) -> list[Processor]:
        return [processor for processor in self.processors if processor.watches(username, relative_path)]

    def upload_started(self, username: str, relative_path: str) -> None:
        with self._writers_lock:
            self._writers[(username, relative_path)] += 1
        for processor in self._watching(username, relative_path):
            processor.upload_started(username, relative_path)

    def upload_ended(self, username: str, relative_path: str, event: Event, *, complete: bool) -> None:
        with self._writers_lock:
            self._writers[(username, relative_path)] -= 1
            if self._writers[(username, relative_path)] <= 0:
                del self._writers[(username, relative_path)]
        self.stamp(self.tree.home(username).root / relative_path)
        watching = self._watching(username, relative_path)
        for processor in watching:
            processor.upload_ended(username, relative_path, event, complete=complete)
        if complete:
            self.file_arrived(username, relative_path, event)
            return
        reason = str(event.detail.get("reason", "the upload did not complete"))
        for processor in watching:
            processor.incomplete(username, relative_path, event, reason)

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        for processor in self._watching(username, relative_path):
            processor.file_arrived(username, relative_path, event)

    def job_failed(self, job: str, **context: Any) -> Callable[[Failure], None]:
        """How a background job of this partner reports a failure: a ``partner.error`` event that tests,
        ``mockpartners status`` and contract reports see (``context``: account, path, ref of the job)."""

        def report(failure: Failure) -> None:
            self.journal.record(
                "partner.error",
                outcome="failed",
                job=job,
                error=f"{type(failure.error).__name__}: {failure.error}",
                attempt=failure.attempt,
                retry_in=failure.retry_in,
                **context,
            )

        return report

    def is_being_written(self, username: str, relative_path: str) -> bool:
        with self._writers_lock:
            return self._writers[(username, relative_path)] > 0

    def stamp(self, path: Path) -> None:
        """Date a file the partner's way: on the virtual clock, so retention ages it in virtual time."""
        moment = self.virtual_mtime()
        if moment is not None:
            with contextlib.suppress(OSError):  # gone already: nothing to age
                os.utime(path, (moment, moment), follow_symlinks=False)

    @property
    def spool(self) -> Path:
        """The partner's own desk, outside every home (processors keep what they took there)."""
        return self.state.spool(self.name)

    def send_mail(self, message: EmailMessage) -> Future[str]:
        """Hand a mail to the suite's outbox, marked as this partner's; its Message-ID once delivered."""
        if self.outbox is None:
            raise StateError(f"{self.name} is not served by a suite: it has no outbox to send mail through")
        return self.outbox.send(message, partner=self.name)

    def virtual_mtime(self) -> float | None:
        """The modification time the partner gives the files it writes now (None: the wall clock's)."""
        return self.clock.now().timestamp() if self.clock.shifted else None

    # -- what tests and the control plane ask -----------------------------------------------------------

    def info(self) -> PartnerInfo:
        return partner_info(self)

    def endpoint(self, name: str | None = None) -> EndpointInfo:
        """Where an endpoint listens now (the first one by default)."""
        return self.info().endpoint(name)

    def account(self, username: str | None = None, *, passphrase: bool | None = None) -> AccountInfo:
        """An account and its sample credentials (the first one, or the first with/without a passphrase)."""
        return self.info().account(username, passphrase=passphrase)

    def files(self, username: str | None = None) -> AccountFiles:
        """The files of an account (the first one by default), as the partner sees them."""
        return AccountFiles(self, username or self.accounts.usernames()[0])

    def publish(self, path: str, content: bytes | str, *, account: str | None = None) -> list[Event]:
        """Drop a publication: in one account's home, or (``account=None``) in every account's home."""
        usernames = [account] if account else self.accounts.usernames()
        return [self.files(username).drop(path, content, kind="partner.publish") for username in usernames]

    def renew_server_certificate(self, *, new_issuing_ca: bool = False) -> TlsCredentials:
        """A new server certificate (and issuing CA if asked), served to every new connection from now on."""
        self.tls = self.state.renew_server_certificate(self.profile, new_issuing_ca=new_issuing_ca)
        for server in self.servers:
            server.reload_credentials()
        self.refresh_endpoint_infos()
        self.info_changed()
        self.journal.record(
            "partner.certificate",
            sha256=self.tls.server.sha256,
            issuer=self.tls.server.issuer,
        )
        return self.tls

    def reset(self) -> None:
        """Back to a fresh partner: no job planned before (cancelled, the running one let finish; recurring
        ones such as retention keep their turns), empty homes and spool (the profile's folders kept), no
        bans, the profile's own scenarios. The journal is kept: it gains a ``partner.reset`` event, where
        reports and :attr:`journal` start. Nothing outside the partner's tree is touched. Clients still
        connected are not cut (the pytest fixtures wait for them to leave)."""
        homes = [self.tree.home(account.username) for account in self.profile.accounts]
        created = homes_of_others(self.tree.root, [home.root for home in homes])
        folders = [home.root for home in homes] + [self.spool] + created
        _check_inside(folders, self.state.path)
        self.scheduler.cancel_all(keep_recurring=True)  # retention keeps its turns
        self.accounts.reset()
        self.scenarios.reset()
        self.guard.reset()
        self.storage.forget()
        mode = stat.S_IMODE(os.lstat(self.state.homes(self.name)).st_mode)  # what mkdir gave the homes
        for home in homes:
            if not empty(home.root, with_parents(home.folders), mode):
                home.ensure_folders()
        empty(self.spool, with_parents(["pending", "done"]), mode)
        for folder in created:  # the homes of accounts made while serving go with them
            empty(folder, frozenset(), mode)
            folder.rmdir()
        for processor in self.processors:
            processor.forget()
        if self.mailboxes is not None:
            self.mailboxes.forget()
        self.journal.start = self.journal.record("partner.reset").id

    def window_start(self) -> int:
        """The journal id from which reports look: the latest start of the suite or reset of this partner."""
        started = self._whole_journal.events(kind="suite.start", limit=1)
        return max([self.journal.start, *(event.id for event in started)])

    def open_sessions(self, *, after: int | None = None) -> list[str]:
        """Sessions that connected after event ``after`` (default: the latest reset) and have not ended."""
        query = Query(partner=self.name, after=self.journal.start if after is None else after)
        connected = self._whole_journal.events(replace(query, kind="session.connect"))
        ended = {
            event.session for event in self._whole_journal.events(replace(query, kind="session.disconnect"))
        }
        return [event.session for event in connected if event.session and event.session not in ended]

    def wait_until_sessions_end(self, *, after: int | None = None, timeout: float = 5.0) -> None:
        """Until every session of :meth:`open_sessions` has ended and journalled its last events."""
        self.journal.wait_until(
            lambda: not self.open_sessions(after=after), timeout, f"every {self.name} session to end"
        )

    def report(self, *, after: int | None = None) -> ContractReport:
        """How the clients that talked to this partner kept its contract (``profile.contract``)."""
        return evaluate(
            self._whole_journal,
            self.profile,
            after=self.window_start() if after is None else after,
            remote_folders=self._folder_tables.remote_folders,
        )

    def assert_contract(self, *, after: int | None = None) -> ContractReport:
        """Fail with the broken rule and the events that show it, or return the report."""
        report = self.report(after=after)
        if not report.passed:
            raise AssertionError(report.failure_message())
        return report

    def wait_for_answer(self, path: str, *, account: str | None = None, timeout: float = 5.0) -> Event:
        """The partner's answer or rejection for the request uploaded at ``path`` (home-relative)."""
        query = Query(
            kind=["partner.answer", "partner.reject"],
            partner=self.name,
            account=account,
            path=path.lstrip("/"),
            after=self.window_start(),  # an answer given before a reset is not this request's
        )
        return self.journal.wait_for(query, timeout=timeout)

    def wait_until_idle(self, timeout: float = 5.0) -> None:
        """Until no partner-side job is due (jobs waiting for a later time on the clock do not count)."""
        self.journal.wait_until(lambda: self.scheduler.busy() == 0, timeout, "partner-side jobs to finish")


def _check_inside(folders: list[Path], within: Path) -> None:
    """A reset deletes nothing outside the state directory: refuse it if a folder leads out (a link)."""
    inside = os.path.realpath(within)
    for folder in folders:
        if not os.path.realpath(folder).startswith(inside + os.sep):
            raise StateError(
                f"reset refused: {folder} leads outside the state directory {within} (through a link?); "
                "nothing was deleted"
            )
