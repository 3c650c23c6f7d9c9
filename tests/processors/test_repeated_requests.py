"""Item 15 of the hardening issue: a request sent again before its answer was fetched keeps both answers.

The ONSS guide says answers wait in OUT until the client fetches and deletes them (3.2); a partner that
overwrote the first answer with the second would lose an acknowledgement the client never saw. Profile
setting ``pickup.repeated_answers``: ``number`` (the default) or ``replace``.
"""

from __future__ import annotations

from pathlib import Path

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import sftp_batch


def _send_twice(onss: Partner, request_file: Path) -> list[str]:
    """Upload the same request twice with OpenSSH sftp, each time waiting for its answer."""
    account = onss.account()
    answers = []
    for _ in range(2):
        cursor = onss.journal.last_id()
        done = sftp_batch(
            onss.endpoint(), account.username, f"put {request_file} IN/", key=account.private_key
        )
        assert done.returncode == 0, done.stderr
        answer = onss.journal.wait_for(kind="partner.answer", path=f"IN/{request_file.name}", after=cursor)
        answers.append(str(answer.detail["answer"]))
    return answers


def test_both_answers_are_kept_and_numbered(onss: Partner, request_file: Path) -> None:
    first, second = _send_twice(onss, request_file)
    name = request_file.name
    assert (first, second) == (f"OUT/{name}.ACK", f"OUT/{name}.2.ACK")
    assert onss.files().list("OUT") == sorted([f"{name}.ACK", f"{name}.2.ACK"])
    references = [
        onss.files().read(path).decode().split("reference: ")[1].strip() for path in (first, second)
    ]
    assert references[0] != references[1]


def test_replace_overwrites_the_first_answer(mockpartners: SuiteFactory, request_file: Path) -> None:
    onss = mockpartners("onss", settings=["onss.pickup.repeated_answers=replace"])["onss"]
    first, second = _send_twice(onss, request_file)
    assert first == second == f"OUT/{request_file.name}.ACK"
    assert onss.files().list("OUT") == [f"{request_file.name}.ACK"]
