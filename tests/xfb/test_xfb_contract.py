"""The XFB gateway's contract rules (`mockpartners report`): one file per deposit, 30 s between deposits and
10 s between downloads (guide D/4), each file saved once (B/3); a client that keeps them passes."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from mockpartners import Partner


def _url(xfb: Partner, target: str) -> str:
    endpoint = xfb.endpoint("gateway")
    password = xfb.account("45000001").password
    separator = "&" if "?" in target else "?"
    return f"http://{endpoint.host}:{endpoint.port}{target}{separator}user=45000001&password={password}"


def _deposit(xfb: Partner, name: str) -> None:
    url = _url(xfb, f"/depot-xt?reference=GRCT450&site=C175&file={name}")
    request = urllib.request.Request(
        url, data=b"mandats\n", headers={"Content-Type": "application/octet-stream"}
    )
    urllib.request.urlopen(request, timeout=10).close()


def _statuses(xfb: Partner) -> dict[str, str]:
    return {result.rule: result.status for result in xfb.report().results}


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
    assert _statuses(xfb) == dict.fromkeys(
        ["one-file-per-deposit", "deposits-spaced", "downloads-spaced", "files-saved-once"], "pass"
    )


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
