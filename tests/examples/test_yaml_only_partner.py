"""A partner declared only in YAML (``tests/profiles/hub.yaml``), no Python written for it: SFTP, FTPS with
implicit TLS and FTPES on one file tree, a password account and a key account, endpoints per account, an IP
allowlist, and a pickup declared as data; driven by OpenSSH sftp, paramiko, curl and lftp.

This is the kernel issue's proof that a new partner needs only a profile when its protocols and processors
exist (docs/architecture.md).
"""

from __future__ import annotations

import io
from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner, Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api
from tests.clients import Askpass, curl_ftps, lftp_ftps, paramiko_sftp, sftp_batch

PROFILE = Path(__file__).parents[1] / "profiles" / "hub.yaml"
FTP_LOGIN_DENIED = 67  # curl's CURLE_LOGIN_DENIED: the server answered 530
FOLDERS = ["import", "reports"]


@pytest.fixture
def hub_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners(profile_files=[PROFILE], admin=True)


@pytest.fixture
def hub(hub_suite: Runtime) -> Partner:
    return hub_suite["hub"]


def _password(hub: Partner, username: str) -> str:
    password = hub.account(username).password
    assert password is not None
    return password


def _curl_listing(
    hub: Partner, endpoint: str, username: str, password: str, source: str | None = None
) -> list[str]:
    listed = curl_ftps(hub.endpoint(endpoint), username, "/", "-l", password=password, source=source)
    assert listed.returncode == 0, listed.stderr
    return sorted(listed.stdout.split())


def test_the_three_endpoints_share_one_tree_for_the_password_account(hub: Partner, tmp_path: Path) -> None:
    password = _password(hub, "clerk")
    assert hub.endpoint("ftps").tls is not None and hub.endpoint("ftps").tls.mode == "implicit"
    assert _curl_listing(hub, "ftps", "clerk", password) == FOLDERS  # curl ftps://: implicit TLS
    assert _curl_listing(hub, "ftpes", "clerk", password) == FOLDERS  # curl ftp:// --ssl-reqd: explicit
    for endpoint in ("ftps", "ftpes"):
        lftp = lftp_ftps(hub.endpoint(endpoint), "clerk", "ls", password=password)
        assert lftp.returncode == 0, lftp.stderr
        assert sorted(line.split()[-1] for line in lftp.stdout.splitlines()) == FOLDERS

    askpass = Askpass.create(tmp_path, password)
    typed = sftp_batch(hub.endpoint("sftp"), "clerk", "ls\n", askpass=askpass)
    assert typed.returncode == 0, typed.stderr
    transport, sftp = paramiko_sftp(hub.endpoint("sftp"), "clerk", password=password)
    with transport, sftp:
        assert sorted(sftp.listdir("/")) == FOLDERS


def test_the_key_account_uploads_over_sftp_and_the_pickup_declared_as_data_answers(
    hub: Partner, tmp_path: Path
) -> None:
    robot = hub.account("robot")
    users = tmp_path / "users.csv"
    users.write_text("id;name\n1;Ada\n")
    uploaded = sftp_batch(hub.endpoint("sftp"), "robot", f"put {users} import/\n", key=robot.private_key)
    assert uploaded.returncode == 0, uploaded.stderr
    answer = hub.wait_for_answer("import/users.csv", account="robot")
    assert answer.detail["answer"] == "reports/users.report.txt"

    transport, sftp = paramiko_sftp(hub.endpoint("sftp"), "robot", key=robot.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(b"not,a,csv"), "import/notes.txt", confirm=False)
        assert hub.wait_for_answer("import/notes.txt", account="robot").kind == "partner.reject"
        with sftp.open("reports/users.report.txt") as report:
            assert report.read().decode() == f"imported users.csv: {users.stat().st_size} bytes\n"


def test_each_account_goes_only_where_it_may(hub: Partner) -> None:
    refused = curl_ftps(hub.endpoint("ftpes"), "robot", "/", "-l", password="anything")
    assert refused.returncode == FTP_LOGIN_DENIED, refused.stderr
    reason = hub.journal.wait_for(kind="auth.attempt", outcome="refused", account="robot").detail["reason"]
    assert "may not use endpoint 'ftpes'" in reason

    branch = _password(hub, "branch")
    elsewhere = curl_ftps(hub.endpoint("ftps"), "branch", "/", "-l", password=branch)
    assert elsewhere.returncode == FTP_LOGIN_DENIED, elsewhere.stderr
    assert _curl_listing(hub, "ftps", "branch", branch, source="127.0.0.3") == FOLDERS
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(hub.endpoint("sftp"), "branch", password=branch, source="127.0.0.3")


def test_a_password_changed_through_the_admin_api_is_refused_at_once_everywhere(
    hub_suite: Runtime, hub: Partner
) -> None:
    assert hub_suite.admin is not None
    old = _password(hub, "clerk")
    changed = Api(hub_suite.admin.url).call(
        "PATCH", "/v1/partners/hub/accounts/clerk", json_body={"password": "n3w-passw0rd"}
    )
    assert changed.status == 200, changed.body

    for endpoint in ("ftps", "ftpes"):
        stale = curl_ftps(hub.endpoint(endpoint), "clerk", "/", "-l", password=old)
        assert stale.returncode == FTP_LOGIN_DENIED, (endpoint, stale.stderr)
        assert _curl_listing(hub, endpoint, "clerk", "n3w-passw0rd") == FOLDERS
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(hub.endpoint("sftp"), "clerk", password=old)
    transport, sftp = paramiko_sftp(hub.endpoint("sftp"), "clerk", password="n3w-passw0rd")
    with transport, sftp:
        assert sorted(sftp.listdir("/")) == FOLDERS
