"""The XFB gateway's contract rules (`mockpartners report`): one file per deposit, 30 s between deposits and
10 s between downloads (guide D/4), each file saved once (B/3), every mail the gateway sent read afterwards
(D/6); a client that keeps them passes."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory


def _url(xfb: Partner, target: str, account: str = "45000001") -> str:
    endpoint = xfb.endpoint("gateway")
    password = xfb.account(account).password
    separator = "&" if "?" in target else "?"
    return f"http://{endpoint.host}:{endpoint.port}{target}{separator}user={account}&password={password}"


def _deposit(xfb: Partner, name: str, account: str = "45000001") -> None:
    url = _url(xfb, f"/depot-xt?reference=GRCT450&site=C175&file={name}", account)
    request = urllib.request.Request(
        url, data=b"mandats\n", headers={"Content-Type": "application/octet-stream"}
    )
    urllib.request.urlopen(request, timeout=10).close()


def _statuses(xfb: Partner) -> dict[str, str]:
    return {result.rule: result.status for result in xfb.report().results}


def _mails(xfb: Partner, count: int) -> list[str]:
    """The ids of the outbox's mails, once the ``count`` the gateway sent are all there."""
    outbox = xfb.outbox
    assert outbox is not None
    xfb.journal.wait_until(lambda: len(outbox.messages()) >= count, 10, f"{count} mail(s) in the outbox")
    return [mail.id for mail in outbox.messages()]


def test_a_client_that_keeps_the_delays_and_saves_once_passes(xfb: Partner) -> None:
    xfb.clock.freeze()
    _deposit(xfb, "MANDAT1")
    xfb.clock.advance(timedelta(seconds=31))
    _deposit(xfb, "MANDAT2")
    for name in ("RCT1", "RCT2"):
        xfb.files("45000001").drop(f"retours/{name}", b"OCRE\n")
    for ident, name in ((62899, "RCT1"), (62900, "RCT2")):
        urllib.request.urlopen(_url(xfb, f"/depot-xt/{name}?local_ident={ident}"), timeout=10).close()
        xfb.journal.wait_for(kind="fs.close", account="45000001", path=f"retours/{name}")
        xfb.clock.advance(timedelta(seconds=11))
    assert xfb.outbox is not None
    for mail in _mails(xfb, 4):  # two transfers correct, two files made available
        xfb.outbox.mark_read(mail, "ordonnateur")
    rules = ["one-file-per-deposit", "deposits-spaced", "downloads-spaced", "files-saved-once", "mails-read"]
    assert _statuses(xfb) == dict.fromkeys(rules, "pass")


def test_deposits_too_close_and_a_double_click_break_the_contract(xfb: Partner) -> None:
    xfb.clock.freeze()
    _deposit(xfb, "MANDAT1")
    _deposit(xfb, "MANDAT2")
    xfb.files("45000001").drop("retours/RCT1", b"OCRE\n")
    url = _url(xfb, "/depot-xt/RCT1?local_ident=62899")
    urllib.request.urlopen(url, timeout=10).close()
    with pytest.raises(urllib.error.HTTPError) as again:
        urllib.request.urlopen(url, timeout=10)
    again.value.close()
    statuses = _statuses(xfb)
    assert statuses["deposits-spaced"] == "fail" and statuses["files-saved-once"] == "fail"
    assert statuses["downloads-spaced"] == "not-exercised"


def test_mails_read_through_the_admin_api_and_the_command_line_keep_the_rule(
    mockpartners: SuiteFactory,
) -> None:
    suite = mockpartners("xfb", admin=True)
    assert suite.admin is not None
    xfb = suite["xfb"]
    assert _statuses(xfb)["mails-read"] == "not-exercised"
    _deposit(xfb, "MANDAT1")
    _deposit(xfb, "INVENT1", account="45000002")  # GRCT450/C175 is not its pair: "non autorisé"
    _mails(xfb, 2)
    assert xfb.outbox is not None  # the two senders may deliver in either order: find each by its subject
    first = xfb.outbox.wait_for(subject="transfert correct").id
    second = xfb.outbox.wait_for(subject="non autoris").id
    report = xfb.report()
    unread = next(result for result in report.results if result.rule == "mails-read")
    assert unread.status == "fail" and not report.passed
    assert unread.summary == "2 of 2 event(s) never followed by mail.read with the same message_id"
    assert {event.kind for event in unread.evidence} == {"partner.mail"}

    urllib.request.urlopen(f"{suite.admin.url}/v1/mail/{first}", timeout=10).close()
    assert _statuses(xfb)["mails-read"] == "fail", "one of two read"
    command = [sys.executable, "-m", "mockpartners", "mail", "show", second, "--url", suite.admin.url]
    shown = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "partenaire non autorisé" in shown.stdout, shown.stderr
    assert _statuses(xfb)["mails-read"] == "pass"
    readers = [event.detail["reader"] for event in xfb.journal.events(kind="mail.read")]
    assert readers == ["admin-api", "cli"]
