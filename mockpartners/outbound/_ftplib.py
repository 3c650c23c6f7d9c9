"""What Python's ftplib lacks for FTPS as servers demand it: TLS sessions resumed on data connections, and
implicit TLS. Subclasses, never a change to ftplib itself; Lucca's client uses them, and so do the tests'
ftplib clients (tests/clients)."""

from __future__ import annotations

import ftplib
import socket
import ssl

__all__ = ["ImplicitFTP", "ImplicitReusingFTP", "SessionReusingFTP"]


class SessionReusingFTP(ftplib.FTP_TLS):
    """ftplib resuming the control connection's TLS session on data connections, as curl, lftp and WinSCP
    do (ftplib itself does not): what vsftpd requires by default (``require_ssl_reuse``), and MAGDA too."""

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:  # type: ignore[attr-defined]
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)  # type: ignore[union-attr]
        return conn, size


class ImplicitFTP(ftplib.FTP_TLS):
    """ftplib over implicit TLS ("FTPS", port 990), which ftplib lacks: the socket is wrapped as ``connect``
    makes it, so the handshake comes before the greeting, as with curl's ``ftps://`` and lftp's ``open
    ftps://``. ``login`` then sees a TLS socket and sends no ``AUTH TLS``."""

    _sock: socket.socket | None = None
    handshake_started = False
    """Whether ``connect`` got as far as the TLS handshake (the TCP connection was made): tells a port that
    refuses or stays silent from a handshake that fails."""

    @property
    def sock(self) -> socket.socket | None:
        return self._sock

    @sock.setter
    def sock(self, value: socket.socket | None) -> None:
        if value is not None and not isinstance(value, ssl.SSLSocket):
            self.handshake_started = True
            plain = value
            try:
                value = self.context.wrap_socket(plain, server_hostname=self.host)
            except BaseException:
                plain.close()
                raise
        self._sock = value


class ImplicitReusingFTP(ImplicitFTP, SessionReusingFTP):
    """Implicit TLS, resuming the control connection's TLS session on data connections."""
