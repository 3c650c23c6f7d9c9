"""Second looks at a port after a connection failed in a way that may mean the wrong type or port: what the
port says on its own, and whether it completes a TLS handshake from the first byte. Nothing is sent but a
TLS ClientHello; no login ever goes over a probe."""

from __future__ import annotations

import socket
import ssl

from ..model._customer_server import CustomerServer
from ._errors import PROTOCOL_ERROR, TLS_REFUSED, TLS_REQUIRED, OutboundError
from ._messages import said

__all__ = ["unverified_context", "wrong_type"]

_PROBE_SECONDS = 5.0
"""At most this long per probe: a server greets (or completes a handshake) in milliseconds; a probe that
waits longer only delays the error the customer reads."""


def wrong_type(server: CustomerServer) -> OutboundError | None:
    """The error of a port that is not of ``server.type``, told by looking at it again; None when it looks
    like what it should be (the first error stands)."""
    if server.type == "ftpes" and _speaks_tls_first(server):
        return OutboundError(
            TLS_REQUIRED,
            f"{server.address} expects TLS from the first byte: it is an implicit FTPS port (usually 990), "
            "and the connection type is FTPES (explicit, AUTH TLS, usually port 21); choose type FTPS for "
            "this port, or give the server's FTPES port",
        )
    found = _other_protocol(server, _first_words(server))
    if found is None and server.type == "sftp" and _speaks_tls_first(server):
        return OutboundError(
            PROTOCOL_ERROR,
            f"{server.address} is an FTPS server with TLS from the first byte, and the connection type is "
            "SFTP: choose type FTPS, or give the server's SFTP port",
        )
    return found


def _seconds(server: CustomerServer) -> float:
    return min(server.timeout.total_seconds(), _PROBE_SECONDS)


def unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only to see whether TLS comes first, never to log in
    return context


def _speaks_tls_first(server: CustomerServer) -> bool:
    """Whether the port completes a TLS handshake from the first byte (an implicit FTPS port)."""
    try:
        with (
            socket.create_connection((server.host, server.port), _seconds(server)) as plain,
            unverified_context().wrap_socket(plain, server_hostname=server.host),
        ):
            return True
    except OSError:
        return False


def _first_words(server: CustomerServer) -> bytes:
    """What the port sends before the client says anything (``220 ...``, ``SSH-2.0-...``); nothing if it
    waits for the client (TLS first) or closes."""
    try:
        with socket.create_connection((server.host, server.port), _seconds(server)) as plain:
            return plain.recv(64)
    except OSError:
        return b""


def _other_protocol(server: CustomerServer, first: bytes) -> OutboundError | None:
    """The error of a port that greets like another type of server than ``server.type``."""
    greeting = said(first.decode("ascii", "replace"))
    if first.startswith(b"SSH-") and server.type != "sftp":
        return OutboundError(
            PROTOCOL_ERROR,
            f"{server.address} is an SSH server (it greets with {greeting!r}), and the connection type is "
            f"{server.type.upper()}: choose type SFTP, or give the server's FTP port",
        )
    if first[:3].isdigit() and server.type == "sftp":
        return OutboundError(
            PROTOCOL_ERROR,
            f"{server.address} is an FTP server (it greets with {greeting!r}), and the connection type is "
            "SFTP: choose type FTPES (or FTPS on its implicit TLS port), or give the server's SFTP port",
        )
    if first.startswith(b"2") and server.type == "ftps":
        return OutboundError(
            TLS_REFUSED,
            f"{server.address} answers in plain FTP before any TLS ({greeting!r}): it is an explicit FTPES "
            "port (AUTH TLS, usually 21), and the connection type is FTPS (implicit TLS, usually 990); "
            "choose type FTPES for this port, or give the server's implicit FTPS port",
        )
    return None
