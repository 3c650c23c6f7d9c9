"""Hostile paths from real clients never lead out of the account's home, and never break the server.

Property-based: hypothesis builds paths from ``..``, ``.``, absolute prefixes (the home's own real path,
/etc, the canary's, the other home's), repeated slashes, backslashes, NUL and control characters, bytes that
are not UTF-8 (overlong ``/`` and ``.`` included), names over 255 bytes and paths over 4096, Unicode
look-alikes (fullwidth and one-dot-leader dots, combining marks, RTL override, NFC/NFD/NFKC/NFKD spellings)
and the symlinks planted in the home (see planted.py). Every operation of the protocol is tried on each path
over one connection per test (see drivers.py): it succeeds inside the home or is refused with the protocol's
own error; nothing planted comes back; nothing outside the home changes; the connection still answers; no
server error is logged or journalled.

Every right is granted in every folder, so that hostile paths reach the file system instead of stopping at a
rights check.
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import unicodedata
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.reliability.drivers import Driver, FtpsDriver, SftpDriver, try_everything
from tests.reliability.planted import Planted
from tests.reliability.sessions import answered, ftps_session, inbox_and_answers, sftp_session, unrestricted

TRICKS = [
    "..", ".", "", "...", "./..", "..\\..", "\\", "\\..", "~", "~root", "%2e%2e", "..%2f", "%2fetc",
    "\uff0e\uff0e", "\u2024\u2024", "\u2025", ".\u0307", "\u202e..", "..\u200b", "\u00a0..", " .. ",
    "e\u0301sc", "\u00e9sc", "\uff0fetc", "\u2215etc", "\ufb01le", "passwd", "etc", "homes", "canary",
]  # fmt: skip
PREFIXES = ["", "/", "//", "///", "./", "../", "../../../", "\\", "~/", "/..", "/proc/self/root/", "/etc/"]
NOT_UTF8 = [b"\xff", b"/\xc0\xae\xc0\xae/etc", b"\xc0\xaf..\xc0\xaf", b"\xe2\x80", b"/\xed\xa0\x80"]
EXAMPLES = {"onss": 150, "magda": 60}  # a few seconds each: FTPS opens a TLS data connection per transfer


@pytest.mark.parametrize(
    ("name", "kind"), [("onss", SftpDriver), ("magda", FtpsDriver)], ids=["sftp", "ftps"]
)
def test_hostile_paths(
    mockpartners: SuiteFactory, caplog: pytest.LogCaptureFixture, name: str, kind: type[Driver]
) -> None:
    partner = unrestricted(mockpartners, name)
    first, second = (account.username for account in partner.info().accounts)
    planted = Planted.around(partner, first, second)
    before = planted.outside()
    driver = kind(partner, first)
    strategy = paths(planted, driver)

    @settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(path=strategy, other=strategy)
    def hostile(path: Any, other: Any) -> None:
        try_everything(driver, planted, path, other, before)

    with caplog.at_level(logging.ERROR):
        try:
            hostile()
        finally:
            driver.close()
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    _assert_no_server_errors(partner)
    assert answered(partner, "AFTER-HOSTILE-PATHS.xml").kind == "partner.answer"


def _assert_no_server_errors(partner: Partner) -> None:
    """Failed operations failed in the file system (ENOENT, ENOTEMPTY, ...), never in our code. (FTPS
    failures carry pyftpdlib's own wording; an exception there is logged, and caplog has none.)"""
    system_errors = {os.strerror(number) for number in range(1, 134)}
    system_errors.add("File already exists")  # asyncssh's RENAME (SFTP v3) does not replace a file
    failed = partner.journal.events(kind="fs.*", outcome="failed")
    errors = {str(event.detail["error"]) for event in failed if "error" in event.detail}
    assert sorted(errors - system_errors) == []
    assert partner.journal.events(kind="partner.error") == []


def paths(planted: Planted, driver: Driver) -> st.SearchStrategy[Any]:
    """Paths a hostile client sends, as the driver's protocol carries them."""
    names = [*TRICKS, *(posixpath.basename(link) for link in planted.links), *planted.links]
    names += [planted.home.name, planted.other_home.name, planted.canary.name]
    plain = st.one_of(
        st.sampled_from(names),
        st.text(st.characters(codec="utf-8", categories=["Cc", "Zs", "Po", "L"]), max_size=6),
        st.text(st.characters(codec="utf-8"), max_size=8),
        st.integers(250, 260).map(lambda size: "n" * size),  # around the 255-byte limit of a name
        st.integers(125, 130).map(lambda size: "\u00e9" * size),  # the same, in two-byte characters
    )
    forms = st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"])
    segment = st.one_of(plain, st.builds(unicodedata.normalize, forms, plain))
    prefixes = [*PREFIXES, *(f"{path}/" for path in (planted.home, planted.canary, planted.other_home))]
    separators = st.sampled_from(["/", "//", "/./", "\\", "/../"])
    short = st.builds(_join, st.sampled_from(prefixes), st.lists(segment, max_size=6), separators)
    aims = st.tuples(st.sampled_from(planted.aims))  # through the planted links, and ".." towards them
    aimed = st.builds(_join, st.sampled_from(["", "/", "./", "//", "/../"]), aims, separators)
    if driver.line_limit is not None:  # CR and LF would end the command line (ftplib refuses them)
        limit = driver.line_limit
        return st.one_of(aimed, short, short).filter(
            lambda path: "\r" not in path and "\n" not in path and len(path.encode()) < limit
        )
    long = st.builds(_join, st.just("/"), st.lists(st.just("d" * 250), min_size=17, max_size=18), separators)
    text = st.one_of(aimed, short, short, long)
    if not driver.bytes_paths:
        return text
    raw = st.builds(lambda path, junk: path.encode() + junk, text, st.sampled_from(NOT_UTF8))
    return st.one_of(text, text, text, raw)


def _join(prefix: str, segments: Sequence[str], separator: str) -> str:
    return prefix + separator.join(segments)


@pytest.mark.parametrize("name", ["onss", "magda"])
def test_a_request_named_at_the_length_limit_is_still_answered(mockpartners: SuiteFactory, name: str) -> None:
    """Its answer's name (``NAME.ACK``, ``STEM.antwoord.xml``) would pass 255 bytes: it is cut short."""
    partner = mockpartners(name)[name]
    inbox, answers = inbox_and_answers(partner)
    request = "R" * 251 + ".xml"  # 255 bytes, the longest name the file system takes
    if name == "onss":
        transport, sftp = sftp_session(partner)
        with transport, sftp:
            sftp.putfo(io.BytesIO(b"<request/>\n"), f"{inbox}/{request}", confirm=False)
    else:  # no room for a temporary suffix: MAGDA's other way, a subfolder then a move
        with ftps_session(partner) as client:
            client.mkd(f"{inbox}/upload")
            client.storbinary(f"STOR {inbox}/upload/{request}", io.BytesIO(b"<request/>\n"))
            client.rename(f"{inbox}/upload/{request}", f"{inbox}/{request}")
    answer = partner.wait_for_answer(f"{inbox}/{request}")
    assert answer.kind == "partner.answer", answer
    written = answer.detail["answer"]
    assert written.startswith(f"{answers}/RRRR") and len(posixpath.basename(written).encode()) == 255
    assert partner.files().read(written)
    assert partner.journal.events(kind="partner.error") == []
