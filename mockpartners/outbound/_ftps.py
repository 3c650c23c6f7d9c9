"""Lucca's client to a customer's FTPS (implicit TLS) or FTPES (explicit ``AUTH TLS``) server, with ftplib.

As FTPS clients do (curl, lftp, WinSCP, FileZilla): the data channel protected too (``PBSZ 0``, ``PROT P``),
the control connection's TLS session resumed on data connections (vsftpd refuses others by default),
passive mode unless the server's settings say otherwise, and the address in a ``227`` reply ignored for the
control connection's (ftplib's default, like most clients: servers behind NAT announce private addresses).
Each operation first enters its folder (``CWD``), so a missing folder is told from a refused file.
"""

from __future__ import annotations

import ftplib
import posixpath
import re
import ssl
from typing import BinaryIO

from ..model._customer_server import CustomerServer
from ._errors import TLS_REFUSED, OutboundError
from ._ftplib import ImplicitReusingFTP, SessionReusingFTP
from ._messages import Explain, said
from ._probes import wrong_type
from ._remote import LocalSink, Remote, RemoteEntry, split
from ._steps import Steps
from ._tls import certificate_failure, client_context, describe

__all__ = ["FtpsRemote"]

_UNIX_LISTING = re.compile(
    r"^([-dlbcps])\S{9}\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w{3}\s+\d{1,2}\s+[\d:]{4,5}\s+(.+)$"
)
_DOS_LISTING = re.compile(r"^\d{2}-\d{2}-\d{2,4}\s+\d{1,2}:\d{2}\s*(?:[AaPp][Mm])?\s+(<DIR>|\d+)\s+(.+)$")
_MISSING_WORDS = ("no such", "not found", "does not exist", "doesn't exist", "failed to open", "cannot find")
_FILE_KINDS = ("outbound.get", "outbound.delete")


class FtpsRemote(Remote):
    """A logged-in FTPS or FTPES session on a customer's server."""

    def __init__(self, server: CustomerServer, steps: Steps) -> None:
        super().__init__(server, steps)
        self.explain = Explain(server)
        self._client: ftplib.FTP_TLS | None = None
        self._home = "/"
        self._machine_listing = False
        self._start()

    # -- connecting ---------------------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            context = client_context(self.server)
        except OutboundError as error:
            raise self.steps.failed("outbound.tls", error) from None
        kind = ImplicitReusingFTP if self.server.type == "ftps" else SessionReusingFTP
        self._client = kind(context=context, timeout=self.server.timeout.total_seconds())
        self._client.set_pasv(self.server.passive)
        if isinstance(self._client, ImplicitReusingFTP):
            self._connect_implicit(self._client)
        else:
            self._connect_explicit(self._client)
        self._log_in(self._client)

    def _connect_explicit(self, client: ftplib.FTP_TLS) -> None:
        """FTPES: the plain greeting (``220``), then ``AUTH TLS`` and the handshake."""
        try:
            client.connect(self.server.host, self.server.port)
        except (OSError, EOFError, ftplib.Error) as error:
            if client.sock is None:  # no TCP connection
                raise self._failed("outbound.connect", error) from error
            raise self.steps.failed("outbound.connect", self._no_greeting(error)) from error
        self.steps.ok("outbound.connect", greeting=said(client.welcome))
        try:
            client.auth()
        except ftplib.Error as error:
            refused = OutboundError(
                TLS_REFUSED,
                f"the FTP server {self.server.address} refused AUTH TLS ({said(error)}): it offers no TLS on "
                "this port; enable explicit TLS (FTPES) on it, or give Lucca the server's implicit FTPS port "
                "and type FTPS",
            )
            raise self.steps.failed("outbound.tls", refused) from error
        except (OSError, EOFError) as error:
            raise self.steps.failed("outbound.tls", self._handshake_failed(error)) from error
        self.steps.ok("outbound.tls", **describe(self._secured))

    def _connect_implicit(self, client: ImplicitReusingFTP) -> None:
        """FTPS: the handshake from the first byte, then the greeting inside TLS."""
        try:
            client.connect(self.server.host, self.server.port)
        except (OSError, EOFError, ftplib.Error) as error:
            if not client.handshake_started:
                raise self._failed("outbound.connect", error) from error
            self.steps.ok("outbound.connect")
            if isinstance(client.sock, ssl.SSLSocket):  # the greeting, after the handshake, failed
                raise self._failed("outbound.tls", error) from error
            raise self.steps.failed("outbound.tls", self._handshake_failed(error)) from error
        self.steps.ok("outbound.connect")
        self.steps.ok("outbound.tls", greeting=said(client.welcome), **describe(self._secured))

    def _no_greeting(self, error: BaseException) -> OutboundError:
        """No ``220`` on an FTPES connection: a port that wants TLS first (tls-required), or that is no FTP
        port at all, is told by looking at it again."""
        return (
            wrong_type(self.server)
            or self._translate(error, "outbound.connect", None)
            or self.explain.protocol_error("outbound.connect", error)
        )

    def _handshake_failed(self, error: BaseException) -> OutboundError:
        if isinstance(error, ssl.SSLCertVerificationError):
            return certificate_failure(error, self.server)
        found = None if isinstance(error, TimeoutError) else wrong_type(self.server)
        return (
            found
            or self._translate(error, "outbound.tls", None)
            or self.explain.protocol_error("outbound.tls", error)
        )

    def _log_in(self, client: ftplib.FTP_TLS) -> None:
        with self.steps.step("outbound.auth", self._translate) as found:
            found["method"] = "password"
            try:
                client.login(self.server.login, self.server.password or "")
            except ftplib.Error as error:
                raise self.explain.login_refused("password", str(error)) from error
            client.prot_p()
            self._home = client.pwd()
            self._machine_listing = "MLST" in self._features(client)

    def _features(self, client: ftplib.FTP_TLS) -> str:
        try:
            return client.sendcmd("FEAT").upper()
        except ftplib.Error:
            return ""  # an old server without FEAT: LIST it is

    def _failed(self, kind: str, error: Exception) -> Exception:
        translated = self._translate(error, kind, None)
        return error if translated is None else self.steps.failed(kind, translated)

    # -- operations ---------------------------------------------------------------------------------------

    def _list(self, folder: str) -> list[RemoteEntry]:
        client = self._enter(folder)
        if self._machine_listing:
            return [
                RemoteEntry(name, _size(facts.get("size")), facts.get("type", "").lower() == "dir")
                for name, facts in client.mlsd("", ["type", "size"])
                if facts.get("type", "").lower() not in ("cdir", "pdir") and name not in (".", "..")
            ]
        lines: list[str] = []
        client.retrlines("LIST", lines.append)
        return [entry for entry in map(_listed, lines) if entry is not None]

    def _is_folder(self, folder: str) -> bool:
        try:
            self._enter(folder)
        except OutboundError:
            return False
        return True

    def _write(self, data: BinaryIO, remote_path: str) -> None:
        folder, name = split(remote_path)
        self._enter(folder).storbinary(f"STOR {name}", data)

    def _rename(self, old: str, new: str) -> None:
        """In the folder ``_write`` entered: ``RNFR NAME.tmp``, ``RNTO NAME``."""
        self._connected.rename(split(old)[1], split(new)[1])

    def _read(self, remote_path: str, sink: LocalSink) -> None:
        folder, name = split(remote_path)
        self._enter(folder).retrbinary(f"RETR {name}", sink.write)

    def _delete(self, remote_path: str) -> None:
        folder, name = split(remote_path)
        self._enter(folder).delete(name)

    def _enter(self, folder: str) -> ftplib.FTP_TLS:
        """``CWD`` to the folder (relative paths from the login's home): refused, it is missing."""
        client = self._connected
        path = posixpath.normpath(posixpath.join(self._home, folder))
        try:
            client.cwd(path)
        except ftplib.error_perm as error:
            if _says(error, ("permission", "denied", "access")):
                raise self.explain.permission_denied("outbound.exists", folder, str(error)) from error
            raise self.explain.folder_missing(folder, str(error)) from error
        return client

    def _disconnect(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        try:
            if client.sock is not None:  # a connection that got as far as a greeting says goodbye
                client.quit()
        except (OSError, EOFError, ftplib.Error):
            pass
        finally:
            client.close()

    @property
    def _connected(self) -> ftplib.FTP_TLS:
        assert self._client is not None, "the FTP session is not open"
        return self._client

    @property
    def _secured(self) -> ssl.SSLSocket:
        secured = self._connected.sock
        assert isinstance(secured, ssl.SSLSocket)
        return secured

    # -- what the server's replies mean -------------------------------------------------------------------

    def _translate(self, error: BaseException, kind: str, path: str | None) -> OutboundError | None:
        if isinstance(error, ftplib.Error):
            return self._reply(str(error), kind, path)
        if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return self.explain.connection_lost(kind, f"TLS: {error.reason or error}")
        if isinstance(error, ssl.SSLError):
            return self.explain.protocol_error(kind, f"TLS failed: {error.reason or error}")
        return self.explain.network(error, kind)

    def _reply(self, reply: str, kind: str, path: str | None) -> OutboundError:
        """An FTP refusal by its code (RFC 959), the text telling a missing file from a refused one."""
        code = reply[:3]
        if code in ("452", "552"):
            return self.explain.disk_full(path, reply)
        if code == "425":
            return self.explain.unreachable(kind, reply)
        if code == "421":  # "Service not available, closing control connection": too many users, idle
            return self.explain.connection_lost(kind, reply)
        if code in ("550", "553", "450", "451") and kind in _FILE_KINDS and _says(reply, _MISSING_WORDS):
            return self.explain.file_missing(path, reply)
        if code in ("550", "553", "450", "532"):
            return self.explain.permission_denied(kind, path, reply)
        return self.explain.protocol_error(kind, reply)


def _says(reply: object, words: tuple[str, ...]) -> bool:
    text = str(reply).lower()
    return any(word in text for word in words)


def _size(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _listed(line: str) -> RemoteEntry | None:
    """One line of ``LIST``, in the Unix ``ls -l`` format (vsftpd, ProFTPD, pure-ftpd, pyftpdlib) or the
    DOS one (IIS); anything else (``total 4``) is no entry."""
    unix = _UNIX_LISTING.match(line)
    if unix:
        name = unix.group(3).split(" -> ")[0] if unix.group(1) == "l" else unix.group(3)
        return None if name in (".", "..") else RemoteEntry(name, int(unix.group(2)), unix.group(1) == "d")
    dos = _DOS_LISTING.match(line)
    if dos:
        folder = dos.group(1) == "<DIR>"
        return RemoteEntry(dos.group(2), None if folder else int(dos.group(1)), folder)
    return None
