"""A running partner: its profile, its file tree, its processors, and what tests may ask of it.

Protocol adapters talk to a :class:`Partner` through :class:`~mockpartners.session.Session`; processors
and tests talk to it directly. Whatever the protocol a file came by, the same partner code handles it.
"""

from __future__ import annotations

import os
import posixpath
import threading
from collections import Counter
from typing import Any

from .clock import Clock
from .config import Profile
from .endpoints import AccountInfo, EndpointInfo, KeyInfo, PartnerInfo
from .journal import Event, Journal
from .pki import KeyPair
from .processors import PickupProcessor, Request, Scheduler
from .session import Session
from .state import PartnerCredentials, StateDir
from .storage import PartnerTree

__all__ = ["AccountFiles", "Partner"]


class Partner:
    def __init__(self, profile: Profile, state: StateDir, journal: Journal, scheduler: Scheduler) -> None:
        self.profile = profile
        self.name = profile.name
        self.state = state
        self.journal = journal
        self.clock: Clock = journal.clock
        self.scheduler = scheduler
        self.tree = PartnerTree(state.homes(profile.name), profile)
        self.pickup = PickupProcessor(self, profile.pickup) if profile.pickup else None
        self.credentials: PartnerCredentials | None = None
        self.endpoint_infos: dict[str, EndpointInfo] = {}
        self._writers: Counter[tuple[str, str]] = Counter()
        self._writers_lock = threading.Lock()

    def prepare(self, *, new_host_keys: bool = False) -> None:
        """Credentials and homes on disk; then finish whatever a previous run left half done."""
        if any(endpoint.protocol == "sftp" for endpoint in self.profile.endpoints.values()):
            self.credentials = self.state.ssh_credentials(self.profile, new_host_keys=new_host_keys)
        self.tree.ensure_homes()
        self._close_interrupted_sessions()
        if self.pickup is not None:
            self.pickup.recover()

    def new_session(self, protocol: str, client: str) -> Session:
        return Session(self, protocol, client)

    def watches(self, relative_path: str) -> bool:
        """Whether the partner picks up files at this home-relative path."""
        return self.pickup is not None and self.pickup.watches(relative_path)

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        if self.pickup is not None and self.pickup.watches(relative_path):
            self.pickup.arrived(Request(event.id, username, relative_path, event.time))

    def upload_abandoned(self, username: str, relative_path: str, event: Event) -> None:
        if self.pickup is not None and self.pickup.watches(relative_path):
            self.pickup.incomplete(
                Request(event.id, username, relative_path, event.time),
                "the upload ended before the client closed the file",
            )

    def writing(self, username: str, relative_path: str, *, started: bool) -> None:
        """Count open write handles, so the partner never takes a file a client is still writing."""
        with self._writers_lock:
            self._writers[(username, relative_path)] += 1 if started else -1
            if self._writers[(username, relative_path)] <= 0:
                del self._writers[(username, relative_path)]

    def is_being_written(self, username: str, relative_path: str) -> bool:
        with self._writers_lock:
            return self._writers[(username, relative_path)] > 0

    def _close_interrupted_sessions(self) -> None:
        """Sessions a killed server never closed: their open uploads are journalled as incomplete."""
        for session, opened in self.journal.interrupted_sessions(self.name):
            for event in opened:
                closed = self.journal.record(
                    "fs.close",
                    partner=self.name,
                    protocol=event.protocol,
                    session=session,
                    account=event.account,
                    client=event.client,
                    path=event.path,
                    mode="write",
                    complete=False,
                    reason="the server stopped during the upload",
                )
                if event.account and event.path:
                    self.upload_abandoned(event.account, event.path, closed)
            self.journal.record(
                "session.disconnect", partner=self.name, session=session, reason="the server stopped"
            )

    # -- what tests and the control plane ask -----------------------------------------------------------

    def info(self) -> PartnerInfo:
        return PartnerInfo(
            self.name,
            self.profile.title,
            self.profile.real_host,
            str(self.tree.root),
            dict(self.endpoint_infos),
            tuple(
                self._account_info(account.username, account.description) for account in self.profile.accounts
            ),
            _key_info(self.credentials.wrong_key) if self.credentials else None,
        )

    def endpoint(self, name: str | None = None) -> EndpointInfo:
        """Where an endpoint listens now (the first one by default)."""
        return self.info().endpoint(name)

    def account(self, username: str | None = None, *, passphrase: bool | None = None) -> AccountInfo:
        """An account and its sample credentials (the first one, or the first with/without a passphrase)."""
        return self.info().account(username, passphrase=passphrase)

    def _account_info(self, username: str, description: str) -> AccountInfo:
        pair = self.credentials.accounts[username].key if self.credentials else None
        return AccountInfo(username, str(self.tree.home(username).root), description, _key_info(pair))

    def files(self, username: str | None = None) -> AccountFiles:
        """The files of an account (the first one by default), as the partner sees them."""
        return AccountFiles(self, username or self.profile.accounts[0].username)

    def wait_for_answer(self, path: str, *, account: str | None = None, timeout: float = 5.0) -> Event:
        """The partner's answer or rejection for the request uploaded at ``path`` (home-relative)."""
        return self.journal.wait_for(
            kind=["partner.answer", "partner.reject"],
            partner=self.name,
            account=account,
            path=path.lstrip("/"),
            timeout=timeout,
        )

    def wait_until_idle(self, timeout: float = 5.0) -> None:
        """Until no partner-side job is waiting to run (delays not yet due on a frozen clock excepted)."""
        self.journal.wait_until(lambda: self.scheduler.pending() == 0, timeout, "partner-side jobs to finish")


class AccountFiles:
    """An account's home from the partner's side: read anything, drop answers or requests."""

    def __init__(self, partner: Partner, username: str) -> None:
        self.partner = partner
        self.username = username
        self.home = partner.tree.home(username)

    def list(self, folder: str = "") -> list[str]:
        """Sorted names in a home-relative folder."""
        return sorted(os.listdir(self.home.resolve(folder).real))

    def read(self, path: str) -> bytes:
        return self.home.resolve(path).real.read_bytes()

    def exists(self, path: str) -> bool:
        return self.home.resolve(path).real.exists()

    def drop(self, path: str, data: bytes | str) -> Event:
        """Write a file as the partner would (an answer, a publication, or a request to take)."""
        location = self.home.resolve(path)
        content = data.encode() if isinstance(data, str) else data
        temporary = location.real.with_name(f".{location.name}.drop")
        temporary.write_bytes(content)
        os.replace(temporary, location.real)
        detail: dict[str, Any] = {"size": len(content)}
        if self.partner.watches(location.relative):
            detail["arrival"] = location.relative
        event = self.partner.journal.record(
            "partner.drop", partner=self.partner.name, account=self.username, path=location.relative, **detail
        )
        self.partner.file_arrived(self.username, location.relative, event)
        return event

    def remove(self, path: str) -> None:
        location = self.home.resolve(path)
        location.real.unlink()
        self.partner.journal.record(
            "partner.remove", partner=self.partner.name, account=self.username, path=location.relative
        )

    def __repr__(self) -> str:
        return (
            f"AccountFiles({self.partner.name}:{self.username} at {posixpath.join(str(self.home.root), '')})"
        )


def _key_info(pair: KeyPair | None) -> KeyInfo | None:
    if pair is None:
        return None
    passphrase_file = pair.private_path.parent / "passphrase"
    return KeyInfo(
        str(pair.private_path),
        str(pair.public_path),
        pair.sha256,
        pair.passphrase,
        str(passphrase_file) if pair.passphrase is not None else None,
    )
