"""The messages a customer reads when their server fails a step, for the reasons SFTP and FTPS share.

Each says what happened on which server, what the server said if it said anything, and what to check.
"""

from __future__ import annotations

import errno
import os
import socket

from ..model._customer_server import CustomerServer
from ._errors import (
    CONNECTION_LOST,
    DISK_FULL,
    FILE_MISSING,
    FOLDER_MISSING,
    LOGIN_REFUSED,
    PERMISSION_DENIED,
    PROTOCOL_ERROR,
    TIMEOUT,
    UNREACHABLE,
    OutboundError,
)
from ._steps import KINDS

__all__ = ["Explain"]

_VERBS = {
    "outbound.rename": "rename",
    "outbound.list": "list",
    "outbound.exists": "enter",
    "outbound.put": "write",
    "outbound.get": "read",
    "outbound.delete": "delete",
}
_UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}


def step(kind: str) -> str:
    """A step as messages name it: "uploading"; the rename of an upload is part of ``outbound.put``."""
    return "renaming the upload into place" if kind == "outbound.rename" else KINDS.get(kind, kind)


def said(text: object) -> str:
    """What a server said, on one line and cut short, for a message."""
    line = " ".join(str(text).split())
    return line if len(line) <= 200 else line[:197] + "..."


class Explain:
    """The shared reasons' messages, for one server."""

    def __init__(self, server: CustomerServer) -> None:
        self.server = server
        self.where = f"{server.type.upper()} server {server.address}"

    def network(self, error: BaseException, kind: str) -> OutboundError | None:
        """A socket's failure as a reason (None: not a network failure)."""
        if isinstance(error, TimeoutError):
            return OutboundError(
                TIMEOUT,
                f"the {self.where} did not answer within {self.server.timeout} while {step(kind)}; check "
                "that its firewall lets Lucca's addresses in (a firewall that drops packets makes no error, "
                "only silence), and that the server is not overloaded",
            )
        if isinstance(error, socket.gaierror):
            return OutboundError(
                UNREACHABLE,
                f"the host name {self.server.host!r} is unknown ({said(error.strerror)}); check its spelling "
                "and that it resolves on the internet (not only inside your network)",
            )
        if isinstance(error, OSError) and error.errno in _UNREACHABLE_ERRNOS:
            return self.unreachable(kind, os.strerror(error.errno))
        if isinstance(error, ConnectionError | EOFError):
            return self.connection_lost(kind, str(error))
        return None

    def connection_lost(self, kind: str, reply: str) -> OutboundError:
        return OutboundError(
            CONNECTION_LOST,
            f"the {self.where} closed the connection while {step(kind)} "
            f"({said(reply) or 'no reason given'}); check the server's log: a limit on sessions per address, "
            "an idle timeout, a crash",
        )

    def unreachable(self, kind: str, reply: str) -> OutboundError:
        """Refused: the server itself when connecting, an FTP data connection afterwards."""
        if kind == "outbound.connect":
            return OutboundError(
                UNREACHABLE,
                f"cannot reach the {self.where}: {said(reply)}; check the host name and the port, that the "
                "server runs, and that its firewall lets Lucca's addresses in",
            )
        return OutboundError(
            UNREACHABLE,
            f"the {self.where} accepted the login but its data connection could not be opened while "
            f"{step(kind)} ({said(reply)}); in passive mode, open the server's passive port range "
            "in its firewall and check the address it announces in its 227 reply",
        )

    def login_refused(self, how: str, reply: str) -> OutboundError:
        return OutboundError(
            LOGIN_REFUSED,
            f"the {self.where} refused the login {self.server.login!r} by {how} ({said(reply)}); check the "
            f"login and the {how} given to Lucca, and that the account may log in over "
            f"{self.server.type.upper()}",
        )

    def folder_missing(self, path: str | None, reply: str) -> OutboundError:
        return OutboundError(
            FOLDER_MISSING,
            f"{path}: no such folder on the {self.where} ({said(reply)}); create it, or correct the remote "
            "folder's path in Lucca (it is the path the login sees, like /dossier1/dossier2)",
        )

    def file_missing(self, path: str | None, reply: str) -> OutboundError:
        return OutboundError(
            FILE_MISSING,
            f"{path}: no such file on the {self.where} ({said(reply)}); another client may have taken it "
            "since it was listed",
        )

    def permission_denied(self, kind: str, path: str | None, reply: str) -> OutboundError:
        verb = _VERBS.get(kind, "use")
        return OutboundError(
            PERMISSION_DENIED,
            f"the {self.where} does not let {self.server.login!r} {verb} {path} ({said(reply)}); give the "
            f"account the right to {verb} there",
        )

    def disk_full(self, path: str | None, reply: str) -> OutboundError:
        return OutboundError(
            DISK_FULL,
            f"the {self.where} has no room left for {path} ({said(reply)}); free space on the server, or "
            "raise the account's quota",
        )

    def protocol_error(self, kind: str, reply: object) -> OutboundError:
        return OutboundError(
            PROTOCOL_ERROR,
            f"the {self.where} answered {said(reply)!r} while {step(kind)}, which Lucca's "
            f"client cannot go on from; check that {self.server.address} is an "
            f"{self.server.type.upper()} server and look in its log",
        )
