"""Every operation a client of each protocol has, tried on one path over one logged-in connection.

A driver runs each operation and records what came back (a :class:`Seen`); :func:`try_everything` checks,
after each one, that it succeeded or was refused with the protocol's own error, that nothing planted came
back, that nothing outside the home changed, and that the same connection still answers.
"""

from __future__ import annotations

import ftplib
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import paramiko

from mockpartners import Partner
from tests.reliability.planted import Planted, Seen
from tests.reliability.sessions import ftps_session, sftp_session

PAYLOAD = b"written through a hostile path\n"
KNOWN = "known.txt"  # a file at the home's root that "rename-to" tries to move onto the path
FTP_LINE_LIMIT = 1900  # pyftpdlib takes command lines up to 2048 bytes

Operation = Callable[[Seen], Any]


class Driver:
    """One logged-in connection of an account, and the operations its protocol offers."""

    refusals: tuple[type[BaseException], ...] = ()
    bytes_paths = False  # whether paths go on the wire as bytes (any bytes, not only UTF-8)
    line_limit: int | None = None  # the longest path a command line carries

    def __init__(self, partner: Partner, username: str | None = None) -> None:
        raise NotImplementedError

    def operations(self, path: Any, other: Any) -> Iterator[tuple[str, Operation]]:
        raise NotImplementedError

    def check_refusal(self, operation: str, refusal: BaseException) -> None:
        raise NotImplementedError

    def still_answers(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def try_everything(driver: Driver, planted: Planted, path: Any, other: Any, before: object) -> int:
    """Every operation on ``path`` (``other``: the second path of renames and links); returns how many were
    refused. ``before`` is ``planted.outside()`` as it was at the start."""
    (planted.home / KNOWN).write_bytes(PAYLOAD)
    refused = 0
    for operation, run in driver.operations(path, other):
        seen = Seen()
        try:
            run(seen)
        except driver.refusals as refusal:
            driver.check_refusal(operation, refusal)
            refused += 1
        assert planted.leaks(seen) == [], (operation, path, other)
        assert planted.outside() == before, (operation, path, other)
        driver.still_answers()
    return refused


class SftpDriver(Driver):
    """paramiko: every path is sent as given (no client-side cwd), bytes as they are."""

    refusals = (IOError,)
    bytes_paths = True

    def __init__(self, partner: Partner, username: str | None = None) -> None:
        self.transport, self.sftp = sftp_session(partner, username)

    def operations(self, path: str | bytes, other: str | bytes) -> Iterator[tuple[str, Operation]]:
        sftp = self.sftp
        yield "stat", lambda seen: _attributes(seen, [sftp.stat(path)])
        yield "lstat", lambda seen: _attributes(seen, [sftp.lstat(path)])
        yield "listdir", lambda seen: _attributes(seen, sftp.listdir_attr(path))  # type: ignore[arg-type]
        yield "read", lambda seen: seen.data.append(_sftp_read(sftp, path))
        yield "write", lambda seen: _sftp_write(sftp, path, "wb")
        yield "append", lambda seen: _sftp_write(sftp, path, "ab")
        yield "mkdir", lambda seen: sftp.mkdir(path)
        yield "setstat", lambda seen: sftp.utime(path, (1_000_000_000, 1_000_000_000))
        yield "chmod", lambda seen: sftp.chmod(path, 0o777)
        yield "realpath", lambda seen: seen.names.append(sftp.normalize(path))
        yield "readlink", lambda seen: seen.names.append(str(sftp.readlink(path)))
        yield "symlink", lambda seen: sftp.symlink(other, path)
        yield "rename-from", lambda seen: sftp.rename(path, other)
        yield "rename-to", lambda seen: sftp.posix_rename(KNOWN, path)
        yield "remove", lambda seen: sftp.remove(path)
        yield "rmdir", lambda seen: sftp.rmdir(path)

    def check_refusal(self, operation: str, refusal: BaseException) -> None:
        assert "Uncaught exception" not in str(refusal), (operation, refusal)

    def still_answers(self) -> None:
        assert self.sftp.normalize(".") == "/"

    def close(self) -> None:
        self.sftp.close()
        self.transport.close()


class FtpsDriver(Driver):
    """ftplib over TLS (PROT P); every reply to a path is a 2xx or a 5xx refusal."""

    refusals = (ftplib.error_perm,)
    line_limit = FTP_LINE_LIMIT

    def __init__(self, partner: Partner, username: str | None = None) -> None:
        self.client = ftps_session(partner, username)

    def operations(self, path: str, other: str) -> Iterator[tuple[str, Operation]]:
        client = self.client
        yield "cwd", lambda seen: self._cwd(seen, path)
        yield "size", lambda seen: seen.sizes.append(int(client.sendcmd(f"SIZE {path}")[4:]))
        yield "mdtm", lambda seen: seen.mtimes.append(_ftp_time(client.sendcmd(f"MDTM {path}")[4:]))
        yield "mlst", lambda seen: _facts(seen, client.sendcmd(f"MLST {path}").splitlines()[1:-1])
        yield (
            "stat",
            lambda seen: seen.names.extend(_listed(client.sendcmd(f"STAT {path}").splitlines()[1:-1])),
        )
        yield "mlsd", lambda seen: _facts(seen, ftp_lines(client, f"MLSD {path}"))
        yield "list", lambda seen: seen.names.extend(_listed(ftp_lines(client, f"LIST {path}")))
        yield "nlst", lambda seen: seen.names.extend(client.nlst(path))
        yield "retr", lambda seen: client.retrbinary(f"RETR {path}", seen.data.append)
        yield "stor", lambda seen: client.storbinary(f"STOR {path}", io.BytesIO(PAYLOAD))
        yield "appe", lambda seen: client.storbinary(f"APPE {path}", io.BytesIO(PAYLOAD))
        yield "mkd", lambda seen: seen.names.append(client.mkd(path))
        yield "mfmt", lambda seen: client.sendcmd(f"MFMT 20010909014640 {path}")
        yield "chmod", lambda seen: client.sendcmd(f"SITE CHMOD 777 {path}")
        yield "rename-from", lambda seen: client.rename(path, other)
        yield "rename-to", lambda seen: client.rename(KNOWN, path)
        yield "dele", lambda seen: client.delete(path)
        yield "rmd", lambda seen: client.rmd(path)

    def _cwd(self, seen: Seen, path: str) -> None:
        try:
            self.client.cwd(path)
            seen.names.append(self.client.pwd())
            seen.names.extend(self.client.nlst())
        finally:
            self.client.cwd("/")

    def check_refusal(self, operation: str, refusal: BaseException) -> None:
        assert str(refusal)[:3] in {"500", "501", "502", "550", "553", "554"}, (operation, refusal)

    def still_answers(self) -> None:
        assert self.client.pwd() == "/"

    def close(self) -> None:
        self.client.close()


def ftp_lines(client: ftplib.FTP_TLS, command: str) -> list[str]:
    lines: list[str] = []
    client.retrlines(command, lines.append)
    return lines


def _attributes(seen: Seen, entries: list[paramiko.SFTPAttributes]) -> None:
    for entry in entries:
        seen.names.append(getattr(entry, "filename", ""))
        seen.sizes.append(entry.st_size or 0)
        seen.mtimes.append(entry.st_mtime or 0)


def _sftp_read(sftp: paramiko.SFTPClient, path: str | bytes) -> bytes:
    with sftp.open(path, "rb") as remote:
        return remote.read(1 << 16)


def _sftp_write(sftp: paramiko.SFTPClient, path: str | bytes, mode: str) -> None:
    with sftp.open(path, mode) as remote:
        remote.write(PAYLOAD)


def _listed(lines: list[str]) -> list[str]:
    """The names in LIST lines (a symlink shows its target after "->": that is the link's own content)."""
    return [line.split(None, 8)[-1].split(" -> ")[0] for line in lines]


def _facts(seen: Seen, lines: list[str]) -> None:
    for line in lines:
        facts, _, name = line.strip().partition(" ")
        seen.names.append(name)
        for fact in facts.lower().split(";"):
            key, _, value = fact.partition("=")
            if key == "size":
                seen.sizes.append(int(value))
            elif key == "modify":
                seen.mtimes.append(_ftp_time(value))


def _ftp_time(value: str) -> float:
    return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp()
