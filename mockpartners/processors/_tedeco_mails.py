"""The TEDECO agent's mails and its "chrono départ" (TASK Collectivités' guide, I, "Maintenances TEDECO":
"Vérifier régulièrement les statuts de courriers émis dans le chrono départ").

A mail is one request taken from the spool; its state is kept in the partner's desk (one JSON file per
mail, written atomically) so that a restart plans the next status where the last run stopped. The chrono
file the client reads is ours (the guide shows no format): ``key = value`` lines, rewritten whole at each
status, with the moment of every status reached.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..infra.atomic import write_atomically

__all__ = ["FINAL", "LABELS", "AgentState", "Mail", "MailBook"]

LABELS = {
    "prepared": "préparé",
    "deposited": "déposé",
    "diffused": "diffusé",
    "failed": "en échec",
    "opened": "ouvert",
    "not-acknowledged": "non acquitté",
}
"""Each status and the guide's word for it ("préparés ... déposés ... diffusés ... en échec ... ouverts ...
non acquittés")."""
FINAL = frozenset({"failed", "opened", "not-acknowledged"})


@dataclass
class Mail:
    """One request taken from the spool, on its way through the statuses."""

    mail_id: int
    username: str
    space: str
    number: str
    fields: dict[str, str]
    reference: str = ""
    status: str = "prepared"
    times: dict[str, str] = field(default_factory=dict)
    """Each status reached, and when (ISO 8601, the virtual clock)."""
    reason: str = ""
    records: int = 0
    size: int = 0
    compressed_size: int = 0
    segments: int = 0
    fails: bool = False
    """Decided when taken: the recipient's address is bad (an unknown alias, scenario bad-recipient-alias)."""
    opens: bool = True
    """Decided when taken: the recipient will open it (not under scenario never-opened)."""
    returned: str = ""
    """The OCRE return file dropped for it (home-relative), once dropped."""

    @property
    def request_name(self) -> str:
        return f"rq{self.number}.{self.space}"

    @property
    def file_name(self) -> str:
        return f"fi{self.number}.{self.space}"

    def details(self, spool: str) -> dict[str, Any]:
        """What the admin API shows of the mail beside its status (the chrono file's essentials)."""
        details: dict[str, Any] = {
            "number": self.number, "space": self.space, "reference": self.reference,
            "request": f"{spool}/{self.space}/{self.request_name}", "mail": self.mail_id,
            "label": LABELS[self.status], "times": dict(self.times),
        }  # fmt: skip
        if self.reason:
            details["reason"] = self.reason
        if self.returned:
            details["ocre"] = self.returned
        return details


@dataclass
class AgentState:
    """The agent's connections to Atlas for one account: failures in a row, and whether it went silent."""

    failures: int = 0
    silent: bool = False


class MailBook:
    """The mails of every account, in the partner's desk (``tedeco/<account>/<id>.json``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()

    def folder(self, username: str) -> Path:
        folder = self.root / username
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    def work(self, username: str, mail_id: int) -> Path:
        """Where a mail's request, file and segments are kept."""
        return self.folder(username) / str(mail_id)

    def next_id(self, username: str) -> int:
        used = [int(path.stem) for path in self.folder(username).glob("*.json") if path.stem.isdigit()]
        return max(used, default=0) + 1

    def save(self, mail: Mail) -> None:
        path = self.folder(mail.username) / f"{mail.mail_id}.json"
        write_atomically(path, json.dumps(asdict(mail)).encode())

    def load(self, username: str, mail_id: int) -> Mail | None:
        try:
            return _read(self.folder(username) / f"{mail_id}.json")
        except FileNotFoundError:
            return None

    def of(self, username: str) -> list[Mail]:
        """The account's mails, in the order they were taken (none yet: no folder is made for asking)."""
        folder = self.root / username
        if not folder.is_dir():
            return []
        paths = sorted(
            (path for path in folder.glob("*.json") if path.stem.isdigit()), key=lambda path: int(path.stem)
        )
        mails = []
        for path in paths:
            with contextlib.suppress(FileNotFoundError):  # gone since the listing: a reset
                mails.append(_read(path))
        return mails

    def unfinished(self) -> list[Mail]:
        """Mails not yet in a final status, or opened with their OCRE return still to come."""
        if not self.root.is_dir():
            return []
        mails = [_read(path) for path in sorted(self.root.glob("*/*.json")) if path.stem.isdigit()]
        return [
            mail
            for mail in mails
            if mail.status not in FINAL or (mail.status == "opened" and not mail.returned)
        ]

    def agent(self, username: str) -> AgentState:
        """The agent's state (asked at every scan: no folder is made for asking)."""
        try:
            return AgentState(**json.loads((self.root / username / "agent.state").read_text()))
        except FileNotFoundError:
            return AgentState()

    def save_agent(self, username: str, state: AgentState) -> None:
        write_atomically(self.folder(username) / "agent.state", json.dumps(asdict(state)).encode())

    def next_return(self, username: str, space: str) -> int:
        """The next OCRE return's number for this account and space (``la0001``, ``la0002``...)."""
        path = self.folder(username) / "returns.state"
        try:
            counters: dict[str, int] = json.loads(path.read_text())
        except FileNotFoundError:
            counters = {}
        counters[space] = counters.get(space, 0) + 1
        write_atomically(path, json.dumps(counters).encode())
        return counters[space]


def _read(path: Path) -> Mail:
    return Mail(**json.loads(path.read_text(encoding="utf-8")))


def chrono_text(mail: Mail, application: str) -> bytes:
    """The chrono file of a mail: the request's fields as sent, then the statuses reached."""
    lines = [
        f"request = {mail.request_name}",
        f"file = {mail.file_name}",
        f"space = {mail.space} ({application})",
    ]
    lines += [f"{key} = {value}" for key, value in mail.fields.items() if key not in ("file",)]
    lines += [f"expanded_reference = {mail.reference}"] if mail.reference else []
    if mail.segments:
        lines += [
            f"records = {mail.records}",
            f"size = {mail.size}",
            f"compressed_size = {mail.compressed_size}",
            f"segments = {mail.segments}",
        ]
    lines += [f"status = {mail.status}", f"label = {LABELS[mail.status]}"]
    lines += [f"{status} = {moment}" for status, moment in mail.times.items()]
    if mail.reason:
        lines.append(f"reason = {mail.reason}")
    return ("\n".join(lines) + "\n").encode("utf-8")
