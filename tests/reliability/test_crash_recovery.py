"""``kill -9`` of ``mockpartners up`` in the middle of a burst of uploads, then a restart on the same state.

Every upload the server saw complete is answered exactly once, across any number of restarts; every
upload cut by the kill is journalled incomplete and never answered; the journal stays readable. Over
SFTP (asyncssh clients, ONSS) and FTPS (ftplib clients, MAGDA).
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import random
import ssl
import subprocess
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncssh
import pytest

from mockpartners import AccountInfo, EndpointInfo, PartnerInfo
from mockpartners.infra.journal import Journal, Query
from mockpartners.infra.state import StateDir
from tests.clients import Certificate, ftplib_tls
from tests.running import COMMAND, up

CONNECTIONS = 8
FILES_PER_CONNECTION = 12
KILL_AFTER = 25  # complete uploads journalled before the kill: well inside the burst of 96
CLIENT_ERRORS = (OSError, EOFError, asyncssh.Error, ftplib.Error, ssl.SSLError)


def _content(generator: random.Random) -> bytes:
    return b"<dmfa/>" * generator.randint(150, 600_000)  # 1 KB to 4 MB


class Burst:
    """Concurrent clients uploading into the partner's inbox from a background thread."""

    def __init__(self, partner: PartnerInfo, inbox: str) -> None:
        self.endpoint: EndpointInfo = partner.endpoint()
        self.account: AccountInfo = partner.account()
        self.inbox = inbox
        self.confirmed: list[str] = []  # uploads whose end the server acknowledged to the client
        self.errors: Counter[str] = Counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the clients never noticed the server was gone"

    def _run(self) -> None:
        raise NotImplementedError

    def _name(self, connection: int, index: int) -> str:
        return f"{self.inbox}/BURST.{connection:02d}.{index:02d}.xml"


class SftpBurst(Burst):
    def _run(self) -> None:
        async def connections() -> None:
            await asyncio.gather(*(self._connection(number) for number in range(CONNECTIONS)))

        asyncio.run(connections())

    async def _connection(self, number: int) -> None:
        sizes = random.Random(number)
        try:
            async with (
                asyncssh.connect(
                    self.endpoint.host,
                    self.endpoint.port,
                    username=self.account.username,
                    client_keys=[str(self.account.private_key)],
                    known_hosts=self.endpoint.known_hosts_file,
                ) as connection,
                connection.start_sftp_client() as sftp,
            ):
                for index in range(FILES_PER_CONNECTION):
                    async with sftp.open(self._name(number, index), "wb") as remote:
                        await remote.write(_content(sizes))
                    # asyncssh (like paramiko) returns from close() without a word when the connection
                    # is already gone: only a later answer on the channel proves the close got through
                    await sftp.stat(self.inbox)
                    self.confirmed.append(self._name(number, index))
        except CLIENT_ERRORS as error:
            self.errors[type(error).__name__] += 1


class FtpsBurst(Burst):
    def _run(self) -> None:
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            list(pool.map(self._connection, range(CONNECTIONS)))

    def _connection(self, number: int) -> None:
        sizes = random.Random(number)
        try:
            with ftplib_tls(self.endpoint, Certificate.of(self.account)) as client:
                client.login(self.account.username, "")
                client.prot_p()
                for index in range(FILES_PER_CONNECTION):
                    # ftplib waits for the 226, which the server sends once the journal has the upload
                    client.storbinary(f"STOR {self._name(number, index)}", io.BytesIO(_content(sizes)))
                    self.confirmed.append(self._name(number, index))
        except CLIENT_ERRORS as error:
            self.errors[type(error).__name__] += 1


PROTOCOLS = {
    "sftp": ("onss", "IN", SftpBurst),
    "ftps": ("magda", "to_vip", FtpsBurst),
}


def _complete_uploads(journal: Journal, partner: str) -> set[str]:
    closes = journal.events(Query(kind="fs.close", partner=partner))
    return {event.path or "" for event in closes if event.detail["complete"] and event.detail.get("arrival")}


def _answers(journal: Journal, partner: str) -> list[tuple[str, str]]:
    events = journal.events(Query(kind="partner.answer", partner=partner))
    return [(event.path or "", event.detail["answer"]) for event in events]


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_kill_9_during_a_burst_loses_no_upload_and_answers_none_twice(
    protocol: str, tmp_path: Path, mockpartners_credentials: Path
) -> None:
    partner, inbox, kind = PROTOCOLS[protocol]
    state = tmp_path / "state"
    settings = ("--set", f"{partner}.pickup.delay=250ms")  # some answered before the kill, some still due
    with up(state, mockpartners_credentials, *settings, partner=partner) as running:
        burst = kind(running.info[partner], inbox)
        journal = Journal(StateDir(state).journal_path, read_only=True)
        burst.start()
        journal.wait_until(
            lambda: len(_complete_uploads(journal, partner)) >= KILL_AFTER, 60, "uploads to complete"
        )
        running.process.kill()
        running.process.wait(timeout=10)
        burst.join()
    complete = _complete_uploads(journal, partner)
    assert set(burst.confirmed) <= complete, "the client was told an upload the journal lacks was complete"
    assert burst.errors, "the kill came after the burst: nothing was interrupted"

    for _ in range(2):  # the first restart finishes what was due; the second must find nothing left
        with up(state, mockpartners_credentials, *settings, partner=partner) as running:
            journal.wait_until(
                lambda: {path for path, _ in _answers(journal, partner)} >= complete,
                30,
                "every complete upload's answer",
            )
            home = Path(running.info[partner].account().home)
    answers = _answers(journal, partner)
    assert sorted(path for path, _ in answers) == sorted(complete), "answered twice, never, or when cut"
    on_disk = {str(path.relative_to(home)) for path in home.rglob("*.antwoord.xml")} | {
        str(path.relative_to(home)) for path in home.rglob("*.ACK")
    }
    assert on_disk == {answer for _, answer in answers}

    cut = journal.events(Query(kind="fs.close", partner=partner))
    assert any(not event.detail["complete"] for event in cut), "no upload was cut by the kill"
    printed = subprocess.run(
        [*COMMAND, "journal", "--state-dir", str(state), "--kind", "partner.answer"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert printed.returncode == 0 and printed.stdout.count("partner.answer") == len(complete)
