"""The XFB gateway's scenarios, seen by real clients: deposits too close together lost (guide D/4), every
partner not authorised (D/6), a double click's state E (B/3), the gateway down."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.processors._deposits import DepositsProcessor


def _url(xfb: Partner, target: str, username: str = "45000001") -> str:
    endpoint = xfb.endpoint("gateway")
    password = xfb.account(username).password
    separator = "&" if "?" in target else "?"
    return f"http://{endpoint.host}:{endpoint.port}{target}{separator}user={username}&password={password}"


def _deposit(xfb: Partner, name: str, reference: str = "GRCT450", site: str = "C175") -> str:
    url = _url(xfb, f"/depot-xt?reference={reference}&site={site}&file={name}")
    request = urllib.request.Request(
        url, data=b"mandats\n", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=10) as page:
        return page.read().decode("iso-8859-1")


def test_deposits_too_close_together_are_received_then_lost(xfb: Partner) -> None:
    xfb.clock.freeze()
    xfb.scenarios.on("deposits-too-close", interval="30s")
    assert "File received" in _deposit(xfb, "MANDAT1")
    assert "File received" in _deposit(xfb, "MANDAT2")  # the page cannot tell
    lost = xfb.journal.wait_for(kind="partner.lost", account="45000001")
    assert lost.path == "depots/MANDAT2" and "within 30s" in str(lost.detail["reason"])
    assert xfb.files("45000001").list("depots") == ["MANDAT1"]
    xfb.clock.advance(timedelta(seconds=31))
    _deposit(xfb, "MANDAT3")
    xfb.journal.wait_for(kind="partner.deposit", account="45000001", path="depots/MANDAT3")
    accepted = xfb.journal.events(kind="partner.deposit", account="45000001")
    assert [event.path for event in accepted] == ["depots/MANDAT1", "depots/MANDAT3"]


def test_partner_not_authorised_refuses_a_pair_the_ordonnateur_may_use(xfb: Partner) -> None:
    xfb.scenarios.on("partner-not-authorised")
    assert "File received" in _deposit(xfb, "TITRE1")
    refused = xfb.journal.wait_for(kind="partner.deposit", account="45000001")
    assert refused.outcome == "refused" and refused.detail["decision"] == "not-authorised"
    assert xfb.outbox is not None
    xfb.outbox.wait_for(to="ordonnateur@ville-saint-exemple.example", subject="non autoris")


def test_a_double_click_sends_the_file_to_e_until_it_is_made_available_again(xfb: Partner) -> None:
    xfb.files("45000001").drop("retours/RCT290G", b"OCRE\n")
    xfb.journal.wait_for(kind="partner.state", account="45000001")
    xfb.scenarios.on("double-click-to-e")
    url = _url(xfb, "/depot-xt/RCT290G?local_ident=62899")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    with refused.value:
        assert refused.value.code == 404 and "state E" in refused.value.read().decode()
    xfb.scenarios.off("double-click-to-e")
    xfb.make_available("45000001", "RCT290G")
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"OCRE\n"


def test_the_gateway_down_refuses_connections(xfb: Partner) -> None:
    endpoint = xfb.endpoint("gateway")
    xfb.scenarios.on("gateway-down")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((endpoint.host, endpoint.port), timeout=10).close()
    xfb.scenarios.off("gateway-down")
    assert "Envoi d'un fichier" in urllib.request.urlopen(_url(xfb, "/depot-xt"), timeout=10).read().decode(
        "iso-8859-1"
    )


def test_session_expired_refuses_the_right_credentials(xfb: Partner) -> None:
    xfb.scenarios.on("session-expired")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(_url(xfb, "/depot-xt"), timeout=10)
    with refused.value:
        assert refused.value.code == 401 and "Session expired" in refused.value.read().decode()
    xfb.scenarios.off("session-expired")
    urllib.request.urlopen(_url(xfb, "/depot-xt"), timeout=10).close()


def test_a_deposit_cut_mid_body_is_never_taken(xfb: Partner) -> None:
    xfb.scenarios.on("disconnect-after-bytes", bytes=100_000)
    url = _url(xfb, "/depot-xt?reference=GRCT450&site=C175&file=GROS")
    request = urllib.request.Request(
        url, data=b"x" * 1_000_000, headers={"Content-Type": "application/octet-stream"}
    )
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(request, timeout=10).close()
    closed = xfb.journal.wait_for(kind="fs.close", account="45000001", path="depots/GROS")
    assert closed.detail["complete"] is False
    assert xfb.files("45000001").list("depots") == []
    xfb.wait_until_idle()  # the gateway deals with deposits after the page: nothing of this one, ever
    assert xfb.journal.events(kind="partner.deposit") == []


def test_a_deposit_stored_but_not_dealt_with_is_dealt_with_once_after_a_restart(
    mockpartners: SuiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    with monkeypatch.context() as patch:  # the server stops between the page and the gateway's batch
        patch.setattr(DepositsProcessor, "file_arrived", lambda *arguments: None)
        first = mockpartners("xfb", state_dir=state)
        assert "File received" in _deposit(first["xfb"], "MANDAT1")
        first["xfb"].journal.wait_for(kind="fs.close", path="depots/MANDAT1")
        first.stop()

    second = mockpartners("xfb", state_dir=state)
    xfb = second["xfb"]
    deposit = xfb.journal.wait_for(kind="partner.deposit", path="depots/MANDAT1")
    assert deposit.ref == xfb.journal.wait_for(kind="fs.close", path="depots/MANDAT1").id
    assert xfb.outbox is not None
    xfb.outbox.wait_for(to="ordonnateur@ville-saint-exemple.example", subject="transfert correct")
    second.stop()
    third = mockpartners("xfb", state_dir=state)
    third["xfb"].wait_until_idle()
    assert len(third["xfb"].journal.events(kind="partner.deposit")) == 1, "never dealt with twice"
