"""Lucca as a client of the customer's own server ("Serveur client"): connect out, push and pull files.

The Lucca help page "SFTP/FTPS": an account may be hosted by the customer, who gives "le nom de l'hôte et le
type de connexion", a login, and a password or an RSA key; Lucca then drops its exports in the account's
remote folders and fetches the files it imports from them. mockpartners plays Lucca's side, so that a
customer can test their own server against the partner's client::

    with open_remote(server, known_hosts=state / "outbound_known_hosts", record=journal.record) as remote:
        remote.put(b"...", "/exports/absences.csv")
        for entry in remote.list("/imports"):
            content = remote.get(f"/imports/{entry.name}")
            remote.delete(f"/imports/{entry.name}")

Synchronous, for the scheduler's worker thread (never from a running event loop). Every step is recorded
(``outbound.connect``, ``.tls``, ``.auth``, ``.list``, ``.exists``, ``.put``, ``.get``, ``.delete``,
``.disconnect``) and every failure of the server is an :class:`OutboundError` whose ``reason`` is one of
:data:`REASONS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..model._customer_server import CustomerServer
from ._errors import REASONS, OutboundError
from ._ftplib import ImplicitFTP, ImplicitReusingFTP, SessionReusingFTP
from ._ftps import FtpsRemote
from ._remote import Remote, RemoteEntry
from ._sftp import SftpRemote
from ._steps import KINDS, Recorder, Steps

__all__ = [
    "KINDS",
    "REASONS",
    "CustomerServer",
    "ImplicitFTP",
    "ImplicitReusingFTP",
    "OutboundError",
    "Recorder",
    "Remote",
    "RemoteEntry",
    "SessionReusingFTP",
    "connect",
    "open_remote",
]


def connect(server: CustomerServer, *, known_hosts: Path, record: Recorder) -> Remote:
    """A logged-in connection to ``server`` (close it); ``known_hosts`` pins SFTP host keys on first use
    (unless the server has a ``host_key``); ``record`` receives every step."""
    steps = Steps(record, server)
    if server.type == "sftp":
        return SftpRemote(server, steps, known_hosts)
    return FtpsRemote(server, steps)


@contextlib.contextmanager
def open_remote(server: CustomerServer, *, known_hosts: Path, record: Recorder) -> Iterator[Remote]:
    """:func:`connect`, closed at the end of the block."""
    remote = connect(server, known_hosts=known_hosts, record=record)
    try:
        yield remote
    finally:
        remote.close()
