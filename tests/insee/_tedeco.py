"""What the TEDECO tests share: requests and fixed-length files as the TASK scheduler writes them, pairs
written straight into an account's spool on disk, and waiting for a mail's statuses."""

from __future__ import annotations

import os
from pathlib import Path

from mockpartners import Event, Partner

RECORD_LENGTH = 284
ACCOUNT = "96010"


def records(count: int, *, separator: bytes = b"\r\n", filler: bytes = b"X") -> bytes:
    """``count`` civil-status records of 284 bytes, each followed by ``separator``."""
    return b"".join(
        (f"{index:06d}".encode() + filler * RECORD_LENGTH)[:RECORD_LENGTH] + separator
        for index in range(count)
    )


def request(number: str, space: str = "001", **fields: str) -> bytes:
    """A request ``rq<number>.<space>`` in our key = value format; ``fields`` override or add (an empty
    value leaves the field out)."""
    values = {
        "subject": "Tedeco FT",
        "sender": "002",
        "recipient": "INSEE",
        "compression": "LempelZiv",
        "record_length": "284",
        "file": f"fi{number}.{space}",
    }
    if space == "001":
        values.update(reference="7812345var1var2", var1="3", var2="38", object="wecivil1.038")
    else:
        values.update(reference="7812345var3var4", var3="2006", var4="12", object="ELEC2006.txt")
    values.update(fields)
    return "".join(f"{key} = {value}\n" for key, value in values.items() if value).encode()


def write_pair(partner: Partner, number: str, content: bytes, *, space: str = "001",
               account: str = ACCOUNT, **fields: str) -> Path:  # fmt: skip
    """As the scheduler does on its own disk: the file first, then the request, written aside and renamed
    into place (the request is the trigger). The account's home as the partner shows it."""
    home = Path(partner.account(account).home)
    folder = home / "ead" / space
    (folder / f"fi{number}.{space}").write_bytes(content)
    aside = folder / f".rq{number}.{space}.tmp"
    aside.write_bytes(request(number, space, **fields))
    os.replace(aside, folder / f"rq{number}.{space}")
    return home


def status(
    partner: Partner, chrono: str, wanted: str, *, account: str = ACCOUNT, timeout: float = 10
) -> Event:
    """The ``partner.status`` event of this chrono file reaching ``wanted``, waited for."""

    def found() -> list[Event]:
        events = partner.journal.events(kind="partner.status", account=account, path=chrono)
        return [event for event in events if event.detail["status"] == wanted]

    partner.journal.wait_until(lambda: bool(found()), timeout, f"{chrono} {wanted}")
    return found()[-1]


def statuses(partner: Partner, chrono: str, *, account: str = ACCOUNT) -> list[str]:
    events = partner.journal.events(kind="partner.status", account=account, path=chrono)
    return [str(event.detail["status"]) for event in events]


def chrono_fields(home: Path, chrono: str) -> dict[str, str]:
    """The chrono file read as key = value lines."""
    lines = (home / chrono).read_text(encoding="utf-8").splitlines()
    return dict(line.split(" = ", 1) for line in lines if " = " in line)
