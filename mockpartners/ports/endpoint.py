"""What a protocol adapter may ask of the partner whose endpoint it serves: the port it works through.

An adapter opens sessions (which check rights and journal), asks the account book who may log in, reads
the profile and the credentials the partner generated (host keys, TLS chains), follows the scenarios that
change how it listens, counts its connections, and reports running out of descriptors. It never sees the
partner itself.
"""

from __future__ import annotations

from typing import Protocol

from ..infra.clock import Clock
from ..infra.credentials import SshCredentials, TlsCredentials
from ..infra.limits import ConnectionLimits, OnceLog
from ..infra.mailboxes import Mailboxes
from ..infra.ssh_keys import KeyPair
from ._facts import PartnerFacts
from .file_states import FileStatesPort
from .session import Session

__all__ = ["EndpointPort"]


class EndpointPort(PartnerFacts, Protocol):
    @property
    def clock(self) -> Clock:
        """The virtual clock (INSEE's portal ends idle sessions on it: a test advances it, never sleeps)."""

    @property
    def ssh(self) -> SshCredentials | None: ...
    @property
    def tls(self) -> TlsCredentials | None: ...
    @property
    def file_states(self) -> FileStatesPort | None:
        """The states of the files the partner makes available, where it has them (the XFB gateway)."""

    @property
    def mailboxes(self) -> Mailboxes | None:
        """The accounts' mailboxes (the suite outbox's mails to each account's address), served by POP3."""

    @property
    def resource_log(self) -> OnceLog:
        """Where running out of descriptors is reported (once a minute, for the whole process)."""

    def new_session(self, protocol: str, address: str, port: int) -> Session:
        """A session for a client connection: every file operation and login goes through it."""

    def connection_limits(self) -> ConnectionLimits:
        """The counters of one listener (profile ``limits``)."""

    def changed_host_keys(self) -> tuple[KeyPair, ...]:
        """Host keys served while the ``host-key-changed`` scenario is on."""
