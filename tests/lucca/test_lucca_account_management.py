"""Account management as in Lucca's module ("Créer un compte", "Editer le compte", "Editer les dossiers
distants"), through the admin API, the CLI and Python: each change acts at once on every protocol, is
journalled, and endpoints.json follows; a change that would make an account unusable is refused."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import paramiko
import pytest

from mockpartners import Partner, Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.ports.accounts import AccountError
from tests.admin.conftest import Api
from tests.clients import curl_ftps, paramiko_sftp

FTP_LOGIN_DENIED = 67


@pytest.fixture
def lucca_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners("lucca", admin=True)


def test_an_account_made_from_a_preset_logs_in_at_once_and_its_password_change_acts_everywhere(
    lucca_suite: Runtime,
) -> None:
    assert lucca_suite.admin is not None
    api = Api(lucca_suite.admin.url)
    lucca = lucca_suite["lucca"]
    body = {"username": "compta", "name": "Comptabilité", "preset": "lucca", "password": "Pr3mier-mot"}
    created = api.call("POST", "/v1/partners/lucca/accounts", json_body=body)
    assert created.status == 201, created.body
    view = created.json()
    assert view["name"] == "Comptabilité" and [folder["path"] for folder in view["remote_folders"]] == [
        "/paie/import/utilisateurs",
        "/paie/import/rapports",
        "/paie/export/absences",
    ]
    listed = curl_ftps(lucca.endpoint("ftps"), "compta", "/paie/import/", "-l", password="Pr3mier-mot")
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split()) == ["rapports", "utilisateurs"]

    changed = api.call("PATCH", "/v1/partners/lucca/accounts/compta", json_body={"password": "Deux1eme"})
    assert changed.status == 200, changed.body
    stale = curl_ftps(lucca.endpoint("ftpes"), "compta", "/", "-l", password="Pr3mier-mot")
    assert stale.returncode == FTP_LOGIN_DENIED, stale.stderr
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(lucca.endpoint("sftp"), "compta", password="Pr3mier-mot")
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "compta", password="Deux1eme")
    with transport, sftp:
        assert sftp.listdir("/") == ["paie"]
    assert [event.detail["changed"] for event in lucca.journal.events(kind="account.changed")] == [
        ["password"]
    ]
    endpoints = json.loads(lucca_suite.state.endpoints_path.read_text())
    accounts = {account["username"]: account for account in endpoints["partners"]["lucca"]["accounts"]}
    assert accounts["compta"]["password"] == "Deux1eme" and accounts["compta"]["name"] == "Comptabilité"


def test_remote_folders_added_renamed_and_removed_act_at_once_and_lose_no_file(lucca_suite: Runtime) -> None:
    assert lucca_suite.admin is not None
    api = Api(lucca_suite.admin.url)
    lucca = lucca_suite["lucca"]
    folders = "/v1/partners/lucca/accounts/paie-sftp/remote-folders"
    new = {"name": "Notes de frais", "path": "/frais/entrees", "use": "exchange"}
    assert api.call("POST", folders, json_body=new).status == 201
    password = lucca.account("paie-sftp").password
    assert password is not None
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-sftp", password=password)
    with transport, sftp:
        assert sorted(sftp.listdir("/")) == ["frais", "paie"]
        with sftp.open("/frais/entrees/janvier.csv", "w") as written:
            written.write(b"total;42\n")
        renamed = api.call("PATCH", folders + "/Notes%20de%20frais", json_body={"path": "/frais/2026"})
        assert renamed.status == 200, renamed.body
        sftp.putfo(io.BytesIO(b"x"), "/frais/2026/fevrier.csv")
        with pytest.raises(PermissionError):  # no longer a remote folder: the rights of the folder above
            sftp.putfo(io.BytesIO(b"x"), "/frais/entrees/mars.csv")
        assert sftp.listdir("/frais/entrees") == ["janvier.csv"]  # nothing lost
    removed = api.call("DELETE", folders + "/Notes%20de%20frais")
    assert removed.status == 200, removed.body
    assert [folder["name"] for folder in removed.json()["remote_folders"]] == [
        "Import des utilisateurs",
        "Rapports d'import",
        "Export des absences",
    ]
    assert lucca.files("paie-sftp").list("frais/2026") == ["fevrier.csv"]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"endpoints": ["ftpes"], "password": None}, "has no way to log in"),
        ({"remote_folders": [{"name": "x", "path": "/a/../b"}]}, "no '..'"),
        ({"remote_folders": [{"name": "x", "path": "relative"}]}, "starts with /"),
        (
            {"remote_folders": [{"name": "a", "path": "/same"}, {"name": "b", "path": "/same"}]},
            "is already the path of remote folder [0]",
        ),
        ({"remote_folders": [{"name": "in", "path": "/in", "use": "import"}]}, "needs a reports folder"),
    ],
)
def test_an_edit_that_would_make_an_account_unusable_is_a_400_saying_why(
    lucca_suite: Runtime, body: dict[str, object], said: str
) -> None:
    assert lucca_suite.admin is not None
    answer = Api(lucca_suite.admin.url).call("PATCH", "/v1/partners/lucca/accounts/paie-sftp", json_body=body)
    assert answer.status == 400 and said in answer.json()["error"], answer.body


def test_the_cli_creates_an_account_adds_a_folder_and_lists_them(lucca_suite: Runtime) -> None:
    assert lucca_suite.admin is not None
    url = lucca_suite.admin.url

    def cli(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mockpartners", *arguments, "--url", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    created = cli(
        "account", "create", "lucca", "rh", "--name", "RH", "--generate-password", "--endpoint", "ftpes"
    )
    assert created.startswith('created: rh "RH": ftpes by password, keyboard-interactive')
    password = created.split("password: ")[1].strip()
    cli("account", "folder-add", "lucca", "rh", "Sorties", "/rh/sorties", "--use", "export")
    listed = curl_ftps(lucca_suite["lucca"].endpoint("ftpes"), "rh", "/rh/", "-l", password=password)
    assert listed.returncode == 0 and listed.stdout.split() == ["sorties"], listed.stderr
    assert 'rh "RH": ftpes by password, keyboard-interactive; folders /rh/sorties (export)' in cli(
        "account", "list", "lucca"
    )
    exported = cli("export", "lucca", "--account", "rh")
    assert exported.startswith("lucca: exported rh/sorties/absences_")


def test_python_edits_go_through_the_same_checks(lucca: Partner) -> None:
    lucca.accounts.add_remote_folder(
        "paie-ftpes", {"name": "Archives", "path": "/archives", "use": "reports"}
    )
    assert lucca.tree.home("paie-ftpes").root.joinpath("archives").is_dir()
    with pytest.raises(AccountError, match="no remote folder named 'Nope'"):
        lucca.accounts.remove_remote_folder("paie-ftpes", "Nope")
    with pytest.raises(AccountError, match="is already the name of remote folder"):
        lucca.accounts.add_remote_folder("paie-ftpes", {"name": "Archives", "path": "/autre"})


def test_a_new_login_takes_the_home_and_files_along_and_the_old_one_is_refused(lucca_suite: Runtime) -> None:
    assert lucca_suite.admin is not None
    lucca = lucca_suite["lucca"]
    password = lucca.account("paie-tous-types").password
    assert password is not None
    lucca.files("paie-tous-types").drop("paie/export/absences/a.csv", "x")
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=password)
    try:
        answer = Api(lucca_suite.admin.url).call(
            "PATCH", "/v1/partners/lucca/accounts/paie-tous-types", json_body={"username": "paie-2027"}
        )
        assert answer.status == 200 and answer.json()["username"] == "paie-2027", answer.body
        lucca.journal.wait_for(kind="session.cut", account="paie-tous-types")
    finally:
        with contextlib.suppress(EOFError, OSError):  # the server cut it: closing may find it gone
            sftp.close()
        transport.close()
    renamed = lucca.journal.wait_for(kind="account.renamed", account="paie-2027")
    assert renamed.detail["previous"] == "paie-tous-types"
    stale = curl_ftps(lucca.endpoint("ftpes"), "paie-tous-types", "/", "-l", password=password)
    assert stale.returncode == FTP_LOGIN_DENIED, stale.stderr
    listed = curl_ftps(lucca.endpoint("ftps"), "paie-2027", "/paie/export/absences/", "-l", password=password)
    assert listed.returncode == 0 and listed.stdout.split() == ["a.csv"], listed.stderr
