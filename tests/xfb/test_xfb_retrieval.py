"""Retrieval on the XFB gateway (TASK Collectivités' guide, B/3 and D/5): files the treasury makes available
are listed in state B with their local_ident, sent without a Content-Length, move to T once fetched whole,
to E when asked for again (what a double click does), and back to B by the S.A.U.'s "remise à disposition"
(admin API, CLI); driven by curl -O and urllib."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from mockpartners import Event, Partner, Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api
from tests.clients import require

RETURN = b"OCRE return file\n" * 5000


@pytest.fixture
def xfb_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners("xfb", admin=True)


def _credentials(suite: Runtime) -> str:
    password = suite["xfb"].account("45000001").password
    return f"user=45000001&password={password}"


def _state(xfb: Partner, account: str, state: str) -> Event:
    """The newest ``partner.state`` event of this state, waited for."""

    def found() -> list[Event]:
        events = xfb.journal.events(kind="partner.state", account=account)
        return [event for event in events if event.detail["state"] == state]

    xfb.journal.wait_until(lambda: bool(found()), 5.0, f"a file of {account} in state {state}")
    return found()[-1]


def _base(suite: Runtime) -> str:
    endpoint = suite["xfb"].endpoint("gateway")
    return f"http://{endpoint.host}:{endpoint.port}/depot-xt"


def test_a_file_made_available_is_listed_fetched_once_then_e_then_made_available_again(
    xfb_suite: Runtime, tmp_path: Path
) -> None:
    xfb = xfb_suite["xfb"]
    xfb.files("45000001").drop("retours/RCT290G", RETURN)
    made = xfb.journal.wait_for(kind="partner.state", account="45000001", path="retours/RCT290G")
    assert (made.detail["state"], made.detail["local_ident"]) == ("B", 62899)

    listed = urllib.request.urlopen(f"{_base(xfb_suite)}/receive?{_credentials(xfb_suite)}", timeout=10)
    page = listed.read().decode("iso-8859-1")
    assert "1 fichier(s) disponible(s) sur le serveur" in page
    assert f"/depot-xt/RCT290G?local_ident=62899&amp;{_credentials(xfb_suite).replace('&', '&amp;')}" in page

    url = f"{_base(xfb_suite)}/RCT290G?local_ident=62899&{_credentials(xfb_suite)}"
    saved = subprocess.run([require("curl"), "-sS", "-D", "-", "-O", url], capture_output=True, text=True,
                           cwd=tmp_path, timeout=30)  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    headers = saved.stdout.lower()
    assert "transfer-encoding: chunked" in headers and "content-length" not in headers
    assert (tmp_path / "RCT290G").read_bytes() == RETURN
    fetched = _state(xfb, "45000001", "T")
    assert fetched.path == "retours/RCT290G"
    assert "0 fichier(s) disponible(s)" in urllib.request.urlopen(
        f"{_base(xfb_suite)}/receive?{_credentials(xfb_suite)}", timeout=10
    ).read().decode("iso-8859-1")

    with pytest.raises(urllib.error.HTTPError) as again:  # a double click: the browser asks again
        urllib.request.urlopen(url, timeout=10)
    with again.value:
        assert again.value.code == 404 and "state E" in again.value.read().decode()
    assert _state(xfb, "45000001", "E").path == "retours/RCT290G"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url, timeout=10).close()

    assert xfb_suite.admin is not None
    done = Api(xfb_suite.admin.url).call(
        "POST", "/v1/partners/xfb/accounts/45000001/available/RCT290G", json_body={}
    )
    assert done.status == 200 and done.json()["event"]["detail"]["state"] == "B", done.body
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == RETURN


def test_make_available_from_the_command_line(xfb_suite: Runtime) -> None:
    assert xfb_suite.admin is not None
    xfb = xfb_suite["xfb"]
    xfb.files("45000002").drop("retours/HOPAY1", b"paie\n")
    _state(xfb, "45000002", "B")
    xfb.file_states.fetched("45000002", "HOPAY1", 62899, complete=True)  # type: ignore[union-attr]
    xfb.file_states.fetch("45000002", "HOPAY1", 62899)  # type: ignore[union-attr]
    url = xfb_suite.admin.url

    def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "mockpartners", "make-available", "xfb", *arguments, "--url", url]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    done = cli("45000002", "HOPAY1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "xfb: retours/HOPAY1 in state B again (local_ident 62899)"
    unknown = cli("45000002", "NOPE")
    assert unknown.returncode == 2 and "'NOPE' is not a file made available to 45000002" in unknown.stderr


def test_the_treasurys_daily_ocre_returns_are_made_available_in_state_b(xfb_suite: Runtime) -> None:
    xfb = xfb_suite["xfb"]
    xfb.clock.freeze()
    xfb.clock.advance(timedelta(days=1, minutes=1))
    exported = xfb.journal.wait_for(kind="partner.export", account="45000001")
    name = str(exported.path).split("/")[-1]
    assert name.startswith("RCT")
    state = _state(xfb, "45000001", "B")
    assert state.path == f"retours/{name}" and state.detail["local_ident"] == 62899
    page = urllib.request.urlopen(f"{_base(xfb_suite)}/receive?{_credentials(xfb_suite)}", timeout=10)
    assert "1 fichier(s) disponible(s) sur le serveur" in page.read().decode("iso-8859-1")
    assert xfb.outbox is not None
    xfb.outbox.wait_for(
        to="ordonnateur@ville-saint-exemple.example", subject=f"mise à disposition du fichier {name}"
    )
