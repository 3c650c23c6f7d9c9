"""``remote-folder-missing``: a remote folder's path that is not on the server (Lucca's help page
"SFTP/FTPS", "Dossier distant": "le fichier sera déposé dans le dossier3"), seen by OpenSSH sftp, paramiko,
curl and lftp; switched off, the folder is back with its files, nothing lost, even across a stopped run."""

from __future__ import annotations

import ftplib
import io
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import UsageError
from mockpartners.scenarios import names
from tests.clients import Askpass, curl_ftps, ftplib_tls, lftp_ftps, paramiko_sftp, sftp_batch
from tests.lucca.helpers import FTP_CWD_REFUSED, password_of

USERS = (
    "matricule;nom;prenom;email;date_entree;etablissement\n00042;Martin;Claire;cm@example.com;2026-12-01;\n"
)


def test_the_export_folder_missing_then_back_with_its_files(lucca: Partner, tmp_path: Path) -> None:
    (exported,) = lucca.export("paie-tous-types")
    path = str(exported.path)
    askpass = Askpass.create(tmp_path, password_of(lucca, "paie-tous-types"))
    sftp, ftpes = lucca.endpoint("sftp"), lucca.endpoint("ftpes")
    password = password_of(lucca, "paie-tous-types")
    with lucca.scenarios(names.REMOTE_FOLDER_MISSING, folder="export", account="paie-tous-types"):
        listed = sftp_batch(sftp, "paie-tous-types", "ls /paie/export/absences\n", askpass=askpass)
        assert 'Can\'t ls: "/paie/export/absences" not found' in listed.stderr, listed.stderr
        fetched = curl_ftps(
            ftpes, "paie-tous-types", f"/{path}", "-o", str(tmp_path / "a.csv"), password=password
        )
        assert fetched.returncode == FTP_CWD_REFUSED, fetched.stderr
        client = ftplib_tls(ftpes)
        client.login("paie-tous-types", password)
        client.prot_p()
        with pytest.raises(ftplib.error_perm, match="550 No such file or directory"):
            client.retrbinary(f"RETR /{path}", lambda data: None)
        client.quit()
        moved = lftp_ftps(ftpes, "paie-tous-types", "cd paie/export/absences", password=password)
        assert moved.returncode != 0 and "550" in moved.stderr, moved.stderr
        (failed,) = lucca.export("paie-tous-types")  # Lucca's export finds no folder either
        assert failed.outcome == "failed" and "not on the server" in failed.detail["reason"]
        assert lucca.files("paie-sftp").list("paie/export/absences") == []  # another account keeps its own
    on, off = lucca.journal.events(kind="scenario.*")
    assert on.detail["removed"] == [
        {"account": "paie-tous-types", "path": "/paie/export/absences", "files": 1}
    ]
    assert off.detail["restored"] == on.detail["removed"]

    got = sftp_batch(sftp, "paie-tous-types", f"get /{path} {tmp_path / 'back.csv'}\n", askpass=askpass)
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "back.csv").read_bytes() == lucca.files("paie-tous-types").read(path)
    assert lucca.files("paie-tous-types").list("paie/export/absences") == [path.rsplit("/", 1)[1]]


def test_the_import_folder_missing_refuses_uploads_until_it_is_back(lucca: Partner, tmp_path: Path) -> None:
    local = tmp_path / "utilisateurs.csv"
    local.write_text(USERS)
    password = password_of(lucca, "paie-tous-types")

    def upload() -> int:
        ftps = lucca.endpoint("ftps")
        folder = "/paie/import/utilisateurs/"
        return curl_ftps(ftps, "paie-tous-types", folder, "-T", str(local), password=password).returncode

    with lucca.scenarios(names.REMOTE_FOLDER_MISSING):  # by default: every account's import folders
        transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=password)
        with transport, sftp, pytest.raises(FileNotFoundError):
            sftp.put(str(local), "/paie/import/utilisateurs/utilisateurs.csv")
        assert upload() == FTP_CWD_REFUSED
    (on,) = lucca.journal.events(kind="scenario.on")
    removed = {(entry["account"], entry["path"]) for entry in on.detail["removed"]}
    assert ("paie-ftpes", "/entrees") in removed and ("paie-cle-rsa", "/paie/import/utilisateurs") in removed
    assert lucca.files("paie-ftpes").list("entrees") == ["rapports"]  # the folder inside came back too

    assert upload() == 0
    assert lucca.wait_for_answer("paie/import/utilisateurs/utilisateurs.csv").kind == "partner.answer"


def test_a_folder_by_name_or_path_and_one_that_does_not_exist(lucca: Partner) -> None:
    with lucca.scenarios(names.REMOTE_FOLDER_MISSING, folder="Rapports d'import", account="paie-sftp"):
        assert not lucca.files("paie-sftp").exists("paie/import/rapports")
        assert lucca.files("paie-tous-types").exists("paie/import/rapports")
    with lucca.scenarios(names.REMOTE_FOLDER_MISSING, folder="sorties/"):
        assert not lucca.files("paie-ftpes").exists("sorties")
    assert lucca.files("paie-ftpes").exists("sorties") and lucca.files("paie-sftp").exists(
        "paie/import/rapports"
    )
    with pytest.raises(
        UsageError, match=r"folder: no remote folder is '/paie/imports' \(give a use: import, export"
    ):
        lucca.scenarios.on(names.REMOTE_FOLDER_MISSING, folder="/paie/imports")
    assert lucca.scenarios.active(names.REMOTE_FOLDER_MISSING) is None


def test_folders_kept_aside_by_a_stopped_run_come_back_at_the_next_start(
    mockpartners: SuiteFactory, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = mockpartners("lucca", state_dir=state)
    first["lucca"].files("paie-tous-types").drop("paie/import/rapports/r.rapport.txt", "lignes: 1\n")
    first["lucca"].scenarios.on(names.REMOTE_FOLDER_MISSING, folder="reports", account="paie-tous-types")
    first.stop()  # the scenario was still on: the folder is still aside
    assert not (state / "lucca" / "homes" / "paie-tous-types" / "paie" / "import" / "rapports").exists()
    again = mockpartners("lucca", state_dir=state)
    assert (
        again["lucca"].files("paie-tous-types").read("paie/import/rapports/r.rapport.txt") == b"lignes: 1\n"
    )
    assert list((state / "lucca" / "held").iterdir()) == []


def test_an_upload_renamed_in_an_import_folder_unless_rename_refused(lucca: Partner) -> None:
    """An import folder's use gives the rename right (a temporary name, then the final one): the profile does
    not refuse RENAME there, ``rename-refused`` does when switched on; SETSTAT is given too (WinSCP sets the
    time of what it uploads), so ``setstat-refused`` starts off as well."""
    assert lucca.scenarios.active(names.RENAME_REFUSED) is None
    assert not lucca.scenarios.info(names.SETSTAT_REFUSED).by_profile
    password = password_of(lucca, "paie-tous-types")
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=password)
    with transport, sftp:
        sftp.putfo(io.BytesIO(USERS.encode()), "/paie/import/utilisateurs/u.csv.filepart", confirm=False)
        with lucca.scenarios(names.RENAME_REFUSED), pytest.raises(PermissionError):
            sftp.rename("/paie/import/utilisateurs/u.csv.filepart", "/paie/import/utilisateurs/u.csv")
        sftp.rename("/paie/import/utilisateurs/u.csv.filepart", "/paie/import/utilisateurs/u.csv")
    assert lucca.wait_for_answer("paie/import/utilisateurs/u.csv").kind == "partner.answer"
