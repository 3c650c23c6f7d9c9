"""Both directions of Lucca's remote folders: a client drops a users file that Lucca imports and answers with
an import report; Lucca drops an absences export (on the virtual clock or on demand) that the client fetches
and removes; and the contract rules that check a client does so."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import curl_ftps, lftp_ftps, paramiko_sftp, sftp_batch

USERS = (
    "matricule;nom;prenom;email;date_entree;etablissement\n"
    "00042;Martin;Claire;claire.martin@example.fr;2026-01-05;Lyon\n"
    "00043;Bernard;Louis;pas-un-email;2026-02-01;\n"
    "00044;Petit;;jeanne.petit@example.fr;2026-03-01;Paris\n"
    "00045;Durand;Paul;paul.durand@example.fr;2026-04-01;\n"
)


def password_of(lucca: Partner, username: str) -> str:
    password = lucca.account(username).password
    assert password is not None
    return password


def statuses(lucca: Partner) -> dict[str, str]:
    return {result.rule: result.status for result in lucca.report().results}


def test_an_import_over_ftps_is_answered_with_a_report_of_lines_accepted_and_rejected(
    lucca: Partner, tmp_path: Path
) -> None:
    users = tmp_path / "utilisateurs.csv"
    users.write_text(USERS)
    password = password_of(lucca, "paie-tous-types")
    sent = curl_ftps(
        lucca.endpoint("ftps"), "paie-tous-types", "/paie/import/utilisateurs/", "-T", str(users),
        password=password,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr

    answer = lucca.wait_for_answer("paie/import/utilisateurs/utilisateurs.csv", account="paie-tous-types")
    assert answer.detail["answer"] == "paie/import/rapports/utilisateurs.rapport.txt"
    taken = lucca.journal.events(kind="partner.pickup", account="paie-tous-types")[-1]
    assert (taken.detail["lines"], taken.detail["accepted_lines"], taken.detail["rejected_lines"]) == (
        4,
        2,
        2,
    )

    fetched = curl_ftps(
        lucca.endpoint("ftps"), "paie-tous-types", "/paie/import/rapports/utilisateurs.rapport.txt",
        password=password,
    )  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    report = fetched.stdout
    assert "lignes: 4\nlignes importees: 2\nlignes rejetees: 2\n" in report
    assert "line 3: email 'pas-un-email' is not valid (expected an e-mail address)" in report
    assert "line 4: prenom is empty" in report
    assert lucca.files("paie-tous-types").list("paie/import/utilisateurs") == []  # the import took it


def test_a_file_that_is_not_the_users_format_is_rejected_whole(lucca: Partner, tmp_path: Path) -> None:
    key = lucca.account("paie-cle-rsa").private_key
    wrong = tmp_path / "salaries.csv"
    wrong.write_text("id,name\n1,Ada\n")
    sent = sftp_batch(
        lucca.endpoint("sftp"), "paie-cle-rsa", f"put {wrong} /paie/import/utilisateurs/\n", key=key
    )
    assert sent.returncode == 0, sent.stderr
    answer = lucca.wait_for_answer("paie/import/utilisateurs/salaries.csv", account="paie-cle-rsa")
    assert answer.kind == "partner.reject" and answer.detail["decision"] == "invalid"
    report = lucca.files("paie-cle-rsa").read("paie/import/rapports/salaries.rapport.txt").decode()
    assert "statut: fichier rejete" in report
    assert (
        "raison: the header is 'id,name', expected 'matricule;nom;prenom;email;date_entree;etablissement'"
        in report
    )


def test_a_temporary_name_is_left_alone_until_it_is_renamed(lucca: Partner) -> None:
    password = password_of(lucca, "paie-sftp")
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-sftp", password=password)
    with transport, sftp:
        sftp.putfo(io.BytesIO(USERS.encode()), "/paie/import/utilisateurs/u.csv.filepart")
        ignored = lucca.journal.wait_for(kind="partner.ignore", account="paie-sftp")
        assert ignored.path == "paie/import/utilisateurs/u.csv.filepart"
        sftp.rename("/paie/import/utilisateurs/u.csv.filepart", "/paie/import/utilisateurs/u.csv")
    answer = lucca.wait_for_answer("paie/import/utilisateurs/u.csv", account="paie-sftp")
    assert answer.kind == "partner.answer"


def test_an_export_on_demand_and_on_the_virtual_clock_is_fetched_then_removed(lucca: Partner) -> None:
    exported = lucca.export("paie-ftpes")
    assert [event.kind for event in exported] == ["partner.export"]
    path = exported[0].path
    assert path is not None and path.startswith("sorties/absences_") and path.endswith(".csv")

    password = password_of(lucca, "paie-ftpes")
    name = path.split("/")[-1]
    fetched = lftp_ftps(
        lucca.endpoint("ftpes"), "paie-ftpes", f"get sorties/{name} -o /dev/null\nrm sorties/{name}",
        password=password,
    )  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    lucca.journal.wait_for(kind="fs.remove", account="paie-ftpes", path=path)
    assert lucca.files("paie-ftpes").list("sorties") == []
    assert statuses(lucca)["exports-fetched-then-removed"] == "pass"

    lucca.clock.freeze()
    lucca.clock.advance(timedelta(days=1, minutes=1))
    lucca.journal.wait_for(kind="partner.export", account="paie-tous-types")
    assert len(lucca.files("paie-tous-types").list("paie/export/absences")) == 1


def test_the_contract_sees_uploads_outside_the_import_folders_and_exports_left_behind(
    lucca: Partner,
) -> None:
    password = password_of(lucca, "paie-tous-types")
    exported = lucca.export("paie-tous-types")[0].path
    assert exported is not None
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=password)
    with transport, sftp:
        sftp.putfo(io.BytesIO(USERS.encode()), "/paie/import/utilisateurs/ok.csv", confirm=False)
        with sftp.open("/" + exported) as export:
            export.read()
        with pytest.raises(PermissionError):  # refused, and an upload tried outside the import folders
            sftp.putfo(io.BytesIO(b"x"), "/paie/import/rapports/stray.csv")
    lucca.wait_for_answer("paie/import/utilisateurs/ok.csv", account="paie-tous-types")
    report = statuses(lucca)
    assert report["imports-only-in-import-folders"] == "fail"
    assert report["exports-fetched-then-removed"] == "fail"
    assert report["uploads-under-a-temporary-name"] == "pass"
