"""INSEE's AIREPPNET portal beside every other built-in partner: its nominal ports (443, 8443 when not root)
are no other built-in's, and `mockpartners up` serves it with the others, over HTTPS a client verifies with
the state directory's CA (curl --cacert, as endpoints.json says)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from mockpartners import SuiteInfo
from mockpartners.infra.state import StateDir
from mockpartners.model.loading import builtin_names, load_profile
from tests.clients import require
from tests.running import COMMAND, NO_TOKEN


def test_its_nominal_ports_are_no_other_built_ins() -> None:
    portal = load_profile("insee-aireppnet").endpoints["portal"]
    assert (portal.port, portal.unprivileged_port) == (443, 8443)
    others = [
        (name, endpoint.port, endpoint.unprivileged_port)
        for name in builtin_names()
        if name != "insee-aireppnet"
        for endpoint in load_profile(name).endpoints.values()
    ]
    assert [other for other in others if {other[1], other[2]} & {443, 8443}] == []


def test_up_serves_it_with_every_built_in_partner(tmp_path: Path, mockpartners_credentials: Path) -> None:
    state = tmp_path / "state"
    for partner in mockpartners_credentials.iterdir():
        StateDir(state).copy_credentials_from(StateDir(mockpartners_credentials), partner.name)
    command = [*COMMAND, "up", "--ports", "ephemeral", "--quiet", "--state-dir", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=NO_TOKEN)  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        first = process.stdout.readline()
        assert first.startswith("mockpartners: serving"), first + process.stderr.read()
        info = SuiteInfo.load(state / "endpoints.json")
        assert set(builtin_names()) <= set(info.partners)
        portal = info["insee-aireppnet"].endpoint("portal")
        assert portal.tls is not None and portal.nominal_port == 443
        account = info["insee-aireppnet"].account("96010")
        form = f"identifiant=96010&mot_de_passe={account.password}"
        login = subprocess.run(
            [require("curl"), "-sS", "--cacert", portal.tls.ca_file, "-w", "%{http_code}", "-o", "/dev/null",
             "-d", form, f"https://{portal.host}:{portal.port}/connexion"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert login.stdout == "303", login.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert "Traceback" not in process.stderr.read()
