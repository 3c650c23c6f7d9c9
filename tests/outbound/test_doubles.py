"""Lucca's client against mockpartners' own doubles, as customer servers: the example hub profile
(tests/profiles/hub.yaml: SFTP, FTPS implicit and FTPES on one file tree, password and key accounts, folder
rights, a pickup that answers), whose scenarios give the failures a customer's server can have.

Both sides journal: the client's steps in its own journal, the server's sessions in the partner's.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockpartners import Partner, Query
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model._customer_server import CustomerServer
from mockpartners.outbound import OutboundError
from tests.outbound.conftest import HUB, Client

USERS = b"id;name\n1;Ada\n2;Grace\n"


@pytest.fixture
def hub(mockpartners: SuiteFactory) -> Partner:
    return mockpartners(profile_files=[HUB])["hub"]


def _server(hub: Partner, endpoint: str, username: str = "clerk", **fields: Any) -> CustomerServer:
    """The hub's ``endpoint`` as a customer server Lucca logs in to as ``username``."""
    info, account = hub.endpoint(endpoint), hub.account(username)
    given: dict[str, Any] = {"type": "sftp" if info.protocol == "sftp" else endpoint, "port": info.port}
    if info.tls is not None:
        given["ca_file"] = info.tls.ca_file
    if account.password is not None:
        given["password"] = account.password
    else:
        given["private_key"] = str(account.private_key)
    return Client.server(**{**given, "login": username, **fields})


@pytest.mark.parametrize(
    ("endpoint", "username"),
    [("sftp", "clerk"), ("sftp", "robot"), ("ftps", "clerk"), ("ftpes", "clerk")],
    ids=["sftp-password", "sftp-key", "ftps", "ftpes"],
)
def test_an_import_is_dropped_and_its_report_fetched_then_removed(
    lucca: Client, hub: Partner, endpoint: str, username: str
) -> None:
    with lucca.connect(_server(hub, endpoint, username)) as remote:
        remote.put(USERS, "/import/users.csv")
        answer = hub.wait_for_answer("import/users.csv", account=username)
        assert answer.detail["answer"] == "reports/users.report.txt"
        assert [entry.name for entry in remote.list("/reports")] == ["users.report.txt"]
        assert remote.get("/reports/users.report.txt") == f"imported users.csv: {len(USERS)} bytes\n".encode()
        remote.delete("/reports/users.report.txt")
        assert remote.list("/reports") == []
    method = "publickey" if username == "robot" else "password"
    assert lucca.steps.events("outbound.auth")[0].detail["method"] == method
    removed = hub.journal.wait_for(Query(kind="fs.remove", account=username))
    assert removed.path == "reports/users.report.txt" and removed.outcome == "ok"
    hub.wait_until_sessions_end()


def test_the_host_key_pinned_on_first_use_then_changed(lucca: Client, hub: Partner) -> None:
    with lucca.connect(_server(hub, "sftp")):
        pass
    with hub.scenarios("host-key-changed"):
        error = lucca.refused(_server(hub, "sftp"))
    assert error.reason == "host-key-changed"
    pinned = hub.endpoint("sftp").host_keys[0].sha256
    assert f"it was {pinned}, it is now SHA256:" in str(error)
    assert hub.journal.events(Query(kind="session.login", after=hub.journal.last_id())) == []


@pytest.mark.parametrize("endpoint", ["ftps", "ftpes"])
@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("server-certificate-untrusted", "certificate-untrusted"),
        ("server-certificate-expired", "certificate-expired"),
    ],
)
def test_certificate_scenarios(
    lucca: Client, hub: Partner, endpoint: str, scenario: str, reason: str
) -> None:
    with hub.scenarios(scenario):
        assert lucca.refused(_server(hub, endpoint)).reason == reason
    assert lucca.steps.kinds() == [("outbound.connect", "ok"), ("outbound.tls", "failed")]


@pytest.mark.parametrize("endpoint", ["sftp", "ftpes"])
def test_a_refused_rename_leaves_the_temporary_file(lucca: Client, hub: Partner, endpoint: str) -> None:
    server = _server(hub, endpoint, upload="temporary")
    with (
        hub.scenarios("rename-refused"),
        lucca.connect(server) as remote,
        pytest.raises(OutboundError) as caught,
    ):
        remote.put(USERS, "/import/users.csv")
    assert caught.value.reason == "permission-denied"
    assert "does not let 'clerk' rename /import/users.csv" in str(caught.value)
    assert "renaming it to users.csv failed: /import/users.csv.tmp is left on the server" in str(caught.value)
    put = lucca.steps.events("outbound.put")[0]
    assert (put.outcome, put.detail["temporary"]) == ("failed", "/import/users.csv.tmp")


@pytest.mark.parametrize("endpoint", ["sftp", "ftps"])
def test_a_full_disk(lucca: Client, hub: Partner, endpoint: str) -> None:
    server = _server(hub, endpoint)
    with hub.scenarios("disk-full"), lucca.connect(server) as remote, pytest.raises(OutboundError) as caught:
        remote.put(USERS, "/import/users.csv")
    assert caught.value.reason == "disk-full" and "has no room left for /import/users.csv" in str(
        caught.value
    )


@pytest.mark.parametrize("endpoint", ["sftp", "ftps", "ftpes"])
def test_a_closed_port_and_a_firewall_that_drops(lucca: Client, hub: Partner, endpoint: str) -> None:
    server = _server(hub, endpoint, timeout="1s")
    with hub.scenarios("port-closed"):
        assert lucca.refused(server).reason == "unreachable"
    with hub.scenarios("firewall-drop"):
        assert lucca.refused(server).reason == "timeout"
    failed = [kind for kind, outcome in lucca.steps.kinds() if outcome == "failed"]
    silent = "outbound.tls" if endpoint == "ftps" else "outbound.connect"  # implicit TLS: the handshake
    assert failed == ["outbound.connect", silent]


@pytest.mark.parametrize("endpoint", ["sftp", "ftps"])
def test_the_folder_rights_of_the_account(lucca: Client, hub: Partner, endpoint: str) -> None:
    with lucca.connect(_server(hub, endpoint)) as remote:
        remote.put(USERS, "/import/users.csv")
        refusals = [
            lambda: remote.put(USERS, "/reports/users.csv"),  # reports: list, read, delete
            lambda: remote.delete("/import/users.csv"),  # import: list, write, rename
        ]
        for attempt in refusals:
            with pytest.raises(OutboundError) as caught:
                attempt()
            assert caught.value.reason == "permission-denied"
        with pytest.raises(OutboundError) as missing:
            remote.list("/dossier1/dossier2")
        assert missing.value.reason == "folder-missing"
    refused = hub.journal.events(Query(kind="fs.*", outcome="refused"))
    assert refused, "the partner journals the refusals too"


@pytest.mark.parametrize(
    ("endpoint", "username", "password"),
    [("sftp", "clerk", "wrong"), ("ftps", "clerk", "wrong"), ("ftpes", "robot", "any")],
    ids=["sftp-wrong-password", "ftps-wrong-password", "ftpes-not-allowed"],
)
def test_refused_logins(lucca: Client, hub: Partner, endpoint: str, username: str, password: str) -> None:
    server = _server(hub, endpoint, username, password=password, private_key=None)
    error = lucca.refused(server)
    assert error.reason == "login-refused" and f"the login {username!r} by password" in str(error)
    assert [kind for kind, _ in lucca.steps.kinds()][-1] == "outbound.auth"
    assert hub.journal.wait_for(Query(kind="auth.attempt", outcome="refused", account=username))


def test_the_tls_mode_of_each_port(lucca: Client, hub: Partner) -> None:
    """FTPES on the implicit port (990's) needs TLS first; FTPS on the explicit port (21's) is answered in
    plain text: each is said, with the type to choose."""
    implicit = _server(hub, "ftps", type="ftpes", timeout="1s")
    assert lucca.refused(implicit).reason == "tls-required"
    explicit = _server(hub, "ftpes", type="ftps")
    assert lucca.refused(explicit).reason == "tls-refused"


@pytest.mark.parametrize("endpoint", ["sftp", "ftpes"])
def test_a_connection_cut_in_the_middle_of_an_upload(lucca: Client, hub: Partner, endpoint: str) -> None:
    with (
        hub.scenarios("disconnect-after-bytes", bytes=65536),
        lucca.connect(_server(hub, endpoint)) as remote,
        pytest.raises(OutboundError) as caught,
    ):
        remote.put(b"x" * 1_000_000, "/import/big.csv")
    assert caught.value.reason == "connection-lost" and "while uploading" in str(caught.value)
    assert lucca.steps.events("outbound.put")[0].outcome == "failed"
