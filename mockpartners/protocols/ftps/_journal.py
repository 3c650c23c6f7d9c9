"""What the journal learns from FTP commands and transfers.

pyftpdlib calls :meth:`CommandJournal.log_cmd` with the reply code of every command and
:meth:`CommandJournal.log_transfer` at the end of every transfer: the control handler inherits both from
here, so that it keeps to the connection and the commands.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...ports.session import Session
from ...ports.storage import AccessRefused, Location

if TYPE_CHECKING:
    from ._access import HomeFilesystem

__all__ = ["KINDS", "TRANSFERS", "UPLOADS", "CommandJournal"]

TRANSFERS = frozenset({"LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"})
UPLOADS = frozenset({"STOR", "STOU", "APPE"})
KINDS = {
    "LIST": "fs.list",
    "NLST": "fs.list",
    "MLSD": "fs.list",
    "RETR": "fs.open",
    "STOR": "fs.open",
    "STOU": "fs.open",
    "APPE": "fs.open",
    "DELE": "fs.remove",
    "RMD": "fs.rmdir",
    "XRMD": "fs.rmdir",
    "MKD": "fs.mkdir",
    "XMKD": "fs.mkdir",
    "RNFR": "fs.rename",
    "RNTO": "fs.rename",
    "MFMT": "fs.setstat",
    "SITE CHMOD": "fs.setstat",
    "SIZE": "fs.stat",
    "MDTM": "fs.stat",
    "MLST": "fs.stat",
    "STAT": "fs.stat",
    "CWD": "fs.cwd",
    "XCWD": "fs.cwd",
    "CDUP": "fs.cwd",
    "XCUP": "fs.cwd",
}
"""The journal's event kind for each command that names a path."""

_POLICY = ("SSL/TLS required", "Not enough privileges", "Active mode", "Login incorrect")
_REFUSAL_CODES = (502, 522, 530, 534, 553)


class CommandJournal:
    """Journals commands and transfers; mixed into the control handler (which sets these attributes)."""

    session: Session
    fs: HomeFilesystem | None
    refusal: str | None
    """Why the partner refused the command being answered (set by the checks that refused it)."""
    incomplete_reason: str | None
    """Why the upload now ending is incomplete, when the data channel knows better than "aborted"."""
    _raw_argument: str
    _rename_source: Location | None
    _uploads: dict[str, Location]

    def log_cmd(self, cmd: str, arg: str, respcode: int, respstr: str) -> None:
        refused = self.refusal is not None or respcode in _REFUSAL_CODES or respstr.startswith(_POLICY)
        outcome = "ok" if respcode < 400 else "refused" if refused else "failed"
        detail: dict[str, Any] = {"command": cmd, "reply": respcode}
        if outcome != "ok":
            detail["reason"] = self.refusal or respstr
        kind = KINDS.get(cmd) if self.session.home is not None else None
        if kind is None:
            if cmd not in ("USER", "PASS") or outcome != "ok":
                argument = "" if cmd == "PASS" else self._raw_argument
                self.session.record("ftp.command", outcome=outcome, argument=argument, **detail)
            return
        location = self.location(arg)
        path = location.relative if location else self._raw_argument
        if cmd == "RNFR":
            self._rename_source = location if outcome == "ok" else None
            if outcome == "ok":
                return
        if cmd == "RNTO":
            self._renamed(location, outcome, detail)
            return
        if cmd in UPLOADS or cmd == "RETR":
            detail["mode"] = "read" if cmd == "RETR" else "append" if cmd == "APPE" else "write"
        elif cmd == "MFMT":
            detail.update(_mfmt_time(self._raw_argument))
        self.session.record(kind, path, outcome, **detail)
        if cmd in UPLOADS and outcome == "ok" and location is not None:
            self._uploads[str(location.real)] = location
            self.session.upload_started(location)

    def _renamed(self, target: Location | None, outcome: str, detail: dict[str, Any]) -> None:
        source, self._rename_source = self._rename_source, None
        path = source.relative if source else self._raw_argument
        detail["target"] = target.relative if target else self._raw_argument
        self.session.renamed(path, target, outcome, **detail)

    def log_transfer(
        self, cmd: str, filename: str, receive: bool, completed: bool, elapsed: float, bytes: int
    ) -> None:
        location = self._uploads.pop(filename, None) if receive else self.location(filename)
        if location is None:
            return
        if receive:
            detail = {"command": cmd, "bytes_written": bytes, "seconds": elapsed}
            if not completed:
                detail["reason"] = self._incomplete_reason()
            self.upload_ended(location, completed, **detail)
            return
        self.session.record(
            "fs.close", location.relative, mode="read", complete=completed, bytes_read=bytes, seconds=elapsed
        )

    def upload_ended(self, location: Location, complete: bool, **detail: Any) -> None:
        self._uploads.pop(str(location.real), None)
        self.session.upload_ended(location, complete=complete, **detail)

    def _incomplete_reason(self) -> str:
        reason, self.incomplete_reason = self.incomplete_reason, None
        return reason or "the transfer was aborted before the end of the file"

    def location(self, path: str) -> Location | None:
        """The home location of a real path pyftpdlib works on (None when there is none)."""
        if not path or self.fs is None:
            return None
        try:
            return self.fs.location(path)
        except AccessRefused:
            return None


def _mfmt_time(argument: str) -> dict[str, int]:
    """MFMT's time (``YYYYMMDDHHMMSS``, UTC) in seconds, as the SFTP double journals ``mtime``."""
    try:
        moment = datetime.strptime(argument.split(" ", 1)[0], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return {}
    return {"mtime": int(moment.timestamp())}
