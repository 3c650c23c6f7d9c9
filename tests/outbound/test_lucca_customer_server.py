"""Lucca's "Serveur client" end to end: the lucca partner connects to a customer's own server (OpenSSH's sshd,
vsftpd with explicit and implicit TLS, and a mockpartners double), drops its absences export in the account's
export folder there, imports the users file it finds in the import folder there, answers it in the reports
folder there and deletes it; on the virtual clock or on demand, every step journalled, and what the
customer's server does wrong reported with its reason, never as a partner failure."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mockpartners import Partner, Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api
from tests.clients import curl_ftps
from tests.outbound.conftest import HUB, Pki, Sshd, VsftpdFactory

USERS = (
    "matricule;nom;prenom;email;date_entree;etablissement\n"
    "00042;Martin;Claire;claire.martin@example.fr;2026-01-05;Lyon\n"
    "00043;Bernard;Louis;pas-un-email;2026-02-01;\n"
)


@pytest.fixture
def lucca_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners("lucca", admin=True)


def _folders(root: str) -> list[dict[str, str]]:
    """The account's remote folders under ``root`` on the customer's server (created there by the test)."""
    return [
        {"name": "Exports", "path": f"{root}/exports", "use": "export"},
        {"name": "Imports", "path": f"{root}/imports", "use": "import"},
        {"name": "Rapports", "path": f"{root}/reports", "use": "reports"},
    ]


def _customer_tree(root: Path) -> Path:
    for name in ("exports", "imports", "reports"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "imports" / "utilisateurs.csv").write_text(USERS)
    return root


def _hosted_by_the_customer(lucca: Partner, username: str, server: Any, root: str) -> None:
    lucca.accounts.create(username, name="Serveur client", server=server, remote_folders=_folders(root))


def _exchanged_as_lucca_does(lucca: Partner, username: str, tree: Path) -> None:
    events = lucca.exchange(username)
    kinds = [event.kind for event in events]
    assert kinds == ["partner.push", "partner.pull", "partner.answer", "partner.exchange"], events
    assert events[-1].outcome == "ok"
    (export,) = (tree / "exports").iterdir()
    assert export.name.startswith("absences_") and export.read_text().startswith("matricule;nom;prenom;type")
    assert not (tree / "imports" / "utilisateurs.csv").exists()  # Lucca took it
    report = (tree / "reports" / "utilisateurs.rapport.txt").read_text()
    assert "lignes importees: 1\nlignes rejetees: 1\n" in report and "email 'pas-un-email'" in report
    pulled = events[1]
    assert (pulled.detail["decision"], pulled.detail["lines"], pulled.detail["accepted_lines"]) == (
        "accepted",
        2,
        1,
    )
    steps = [event.kind for event in lucca.journal.events(kind="outbound.*", account=username)]
    assert steps[:3] == ["outbound.connect", "outbound.tls", "outbound.auth"] or steps[:2] == [
        "outbound.connect",
        "outbound.auth",
    ]
    assert {"outbound.put", "outbound.list", "outbound.get", "outbound.delete"} <= set(steps)


def test_with_openssh_sshd_by_key(lucca_suite: Runtime, sshd: Sshd) -> None:
    lucca = lucca_suite["lucca"]
    tree = _customer_tree(sshd.home / "by-key")
    _hosted_by_the_customer(lucca, "client-sftp", sshd.server(), str(tree))
    _exchanged_as_lucca_does(lucca, "client-sftp", tree)
    connected = lucca.journal.events(kind="outbound.connect", account="client-sftp")[0]
    assert connected.detail["host"] == "127.0.0.1" and connected.outcome == "ok"


@pytest.mark.parametrize("implicit", [False, True], ids=["ftpes", "ftps"])
def test_with_vsftpd_explicit_and_implicit(
    lucca_suite: Runtime, vsftpd: VsftpdFactory, pki: Pki, implicit: bool
) -> None:
    lucca = lucca_suite["lucca"]
    customer = vsftpd(implicit=implicit)
    tree = _customer_tree(customer.root / "lucca")
    _hosted_by_the_customer(lucca, "client-ftp", customer.server(ca_file=pki.ca_file), str(tree))
    _exchanged_as_lucca_does(lucca, "client-ftp", tree)
    tls = lucca.journal.events(kind="outbound.tls", account="client-ftp")[0]
    assert tls.outcome == "ok"


def test_with_a_mockpartners_double_as_the_customers_server(
    lucca_suite: Runtime, mockpartners: SuiteFactory
) -> None:
    """The hub double plays the customer's server over FTPES, with its own CA: Lucca's export lands in the
    hub's import folder, and the hub's own pickup takes it and answers, as a customer's system would."""
    hub = mockpartners(profile_files=[HUB])["hub"]
    lucca = lucca_suite["lucca"]
    endpoint = hub.endpoint("ftpes")
    assert endpoint.tls is not None
    password = hub.account("clerk").password
    server = {"host": "127.0.0.1", "port": endpoint.port, "type": "ftpes", "login": "clerk",
              "password": password, "ca_file": endpoint.tls.ca_file, "timeout": "5s"}  # fmt: skip
    lucca.accounts.create(
        "client-hub",
        server=server,
        remote_folders=[{"name": "Vers le hub", "path": "/import", "use": "export"}],
    )
    events = lucca.exchange("client-hub")
    assert [event.kind for event in events] == ["partner.push", "partner.exchange"], events
    assert events[-1].outcome == "ok"
    pushed = str(events[0].path).lstrip("/")
    uploaded = hub.journal.wait_for(kind="fs.close", account="clerk", path=pushed)
    assert uploaded.detail["complete"] is True
    assert hub.wait_for_answer(pushed, account="clerk").kind == "partner.answer"


def test_what_the_customers_server_does_wrong_is_reported_with_its_reason(
    lucca_suite: Runtime, sshd: Sshd, vsftpd: VsftpdFactory
) -> None:
    lucca = lucca_suite["lucca"]
    other_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl lucca"
    _hosted_by_the_customer(lucca, "pinned", sshd.server(host_key=other_key), str(sshd.home / "pinned"))
    _hosted_by_the_customer(lucca, "untrusted", vsftpd().server(), "/lucca")  # no ca_file: not trusted
    _hosted_by_the_customer(lucca, "no-folder", sshd.server(), str(sshd.home / "not-there"))
    reasons = {}
    for username in ("pinned", "untrusted", "no-folder"):
        failed = lucca.exchange(username)[-1]
        assert failed.kind == "partner.exchange" and failed.outcome == "failed", failed
        reasons[username] = failed.detail["reason"]
    assert reasons == {
        "pinned": "host-key-changed",
        "untrusted": "certificate-untrusted",
        "no-folder": "folder-missing",
    }
    assert lucca.journal.events(kind="partner.error") == []  # the customer's failure, not the partner's


def test_on_the_virtual_clock_and_through_the_admin_api(lucca_suite: Runtime, sshd: Sshd) -> None:
    assert lucca_suite.admin is not None
    lucca = lucca_suite["lucca"]
    tree = _customer_tree(sshd.home / "scheduled")
    body = {"username": "planned", "server": {**_server_fields(sshd)}, "remote_folders": _folders(str(tree))}
    api = Api(lucca_suite.admin.url)
    created = api.call("POST", "/v1/partners/lucca/accounts", json_body=body)
    assert created.status == 201 and created.json()["server"].startswith("sftp://root@127.0.0.1:"), (
        created.body
    )
    lucca.clock.freeze()
    lucca.clock.advance(timedelta(hours=1, minutes=1))
    lucca.journal.wait_for(kind="partner.exchange", account="planned", timeout=15)
    assert not (tree / "imports" / "utilisateurs.csv").exists()

    (tree / "imports" / "second.csv").write_text(USERS)
    answer = api.call("POST", "/v1/partners/lucca/exchanges", json_body={"account": "planned"})
    assert answer.status == 201, answer.body
    assert [event["kind"] for event in answer.json()["events"]][-1] == "partner.exchange"
    assert (tree / "reports" / "second.rapport.txt").exists()


def test_a_customer_hosted_account_never_logs_in_here(lucca_suite: Runtime, sshd: Sshd) -> None:
    lucca = lucca_suite["lucca"]
    _hosted_by_the_customer(lucca, "elsewhere", sshd.server(), str(sshd.home / "elsewhere"))
    refused = curl_ftps(lucca.endpoint("ftpes"), "elsewhere", "/", "-l", password="anything")
    assert refused.returncode == 67, refused.stderr
    event = lucca.journal.wait_for(kind="auth.attempt", outcome="refused", account="elsewhere")
    assert "is hosted by the customer" in str(event.detail["reason"])
    with pytest.raises(Exception, match="is hosted by lucca: it has no server of its own"):
        lucca.exchange("paie-sftp")


def _server_fields(sshd: Sshd) -> dict[str, Any]:
    """The server as a JSON body gives it."""
    return {"host": "127.0.0.1", "port": sshd.port, "type": "sftp", "login": "root",
            "private_key": str(sshd.client_key), "timeout": "3s"}  # fmt: skip


def test_from_the_command_line(lucca_suite: Runtime, sshd: Sshd) -> None:
    assert lucca_suite.admin is not None
    url = lucca_suite.admin.url
    tree = _customer_tree(sshd.home / "cli")

    def cli(*arguments: str, status: int = 0) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mockpartners", *arguments, "--url", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == status, done.stderr
        return done.stdout

    server = f"sftp://root@127.0.0.1:{sshd.port}"
    created = cli(
        "account", "create", "lucca", "cli-client", "--server", server, "--server-key", str(sshd.client_key)
    )
    assert created.strip() == f"created: cli-client: on the customer's server {server}"
    for name, folder, use in (("Rapports", "reports", "reports"), ("Exports", "exports", "export"),
                              ("Imports", "imports", "import")):  # fmt: skip
        cli("account", "folder-add", "lucca", "cli-client", name, str(tree / folder), "--use", use)
    shown = cli("exchange", "lucca", "--account", "cli-client")
    assert (
        "partner.push" in shown
        and "partner.answer" in shown
        and shown.splitlines()[-1].startswith("lucca: partner.exchange")
    )
    assert (tree / "reports" / "utilisateurs.rapport.txt").exists()
