"""The e-paye and MPRH hosting presets, as profiles that extend lucca ("serveur hébergé par Lucca avec des
paramètres spécifiques"): their layout, connection types and naming are our assumptions, as data, changed
with --set; and a preset chosen when an account is created."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import ProfileError
from mockpartners.model.loading import load_profile
from tests.clients import curl_ftps, lftp_ftps, paramiko_sftp, sftp_batch

FTP_LOGIN_DENIED = 67
USERS = (
    "matricule;nom;prenom;email;date_entree;etablissement\n"
    "00042;Martin;Claire;c.martin@example.fr;2026-01-05;\n"
)


def test_e_paye_accounts_use_sftp_its_layout_and_a_temporary_name(
    lucca_e_paye: Partner, tmp_path: Path
) -> None:
    account = lucca_e_paye.account("epaye-client")
    assert [folder.path for folder in account.remote_folders] == ["/EPAYE/IN", "/EPAYE/CR", "/EPAYE/OUT"]
    assert account.endpoints == ("sftp",)
    assert account.password is not None
    denied = curl_ftps(lucca_e_paye.endpoint("ftpes"), "epaye-client", "/", "-l", password=account.password)
    assert denied.returncode == FTP_LOGIN_DENIED, denied.stderr

    robot = lucca_e_paye.account("epaye-robot")
    good = tmp_path / "EPAYE_SALARIES_20261201.csv"
    good.write_text(USERS)
    commands = (
        f"put {good} /EPAYE/IN/{good.name}.tmp\nrename /EPAYE/IN/{good.name}.tmp /EPAYE/IN/{good.name}\n"
    )
    sent = sftp_batch(lucca_e_paye.endpoint("sftp"), "epaye-robot", commands, key=robot.private_key)
    assert sent.returncode == 0, sent.stderr
    answer = lucca_e_paye.wait_for_answer(f"EPAYE/IN/{good.name}", account="epaye-robot")
    assert answer.detail["answer"] == "EPAYE/CR/EPAYE_SALARIES_20261201.rapport.txt"

    transport, sftp = paramiko_sftp(lucca_e_paye.endpoint("sftp"), "epaye-client", password=account.password)
    with transport, sftp:
        sftp.putfo(io.BytesIO(USERS.encode()), "/EPAYE/IN/EPAYE_SALARIES_20261202.csv", confirm=False)
        sftp.putfo(io.BytesIO(USERS.encode()), "/EPAYE/IN/salaries.csv", confirm=False)
    rejected = lucca_e_paye.wait_for_answer("EPAYE/IN/salaries.csv", account="epaye-client")
    assert rejected.kind == "partner.reject"
    assert (
        "nom de fichier incorrect"
        in lucca_e_paye.files("epaye-client").read("EPAYE/CR/salaries.csv.rapport.txt").decode()
    )
    lucca_e_paye.wait_for_answer("EPAYE/IN/EPAYE_SALARIES_20261202.csv", account="epaye-client")
    statuses = {result.rule: result.status for result in lucca_e_paye.report().results}
    assert statuses["uploads-under-a-temporary-name"] == "fail"  # the direct upload of ...1202.csv

    exported = lucca_e_paye.export("epaye-client")[0]
    assert exported.path is not None and exported.path.startswith("EPAYE/OUT/EPAYE_ABSENCES_")


def test_mprh_accounts_use_ftps_and_ftpes_and_comma_separated_files(
    lucca_mprh: Partner, tmp_path: Path
) -> None:
    account = lucca_mprh.account("mprh-client")
    assert account.endpoints == ("ftps", "ftpes") and account.password is not None
    users = tmp_path / "MPRH_salaries.csv"
    users.write_text(USERS.replace(";", ","))
    sent = lftp_ftps(
        lucca_mprh.endpoint("ftpes"),
        "mprh-client",
        f"put {users} -o MPRH/import/{users.name}",
        password=account.password,
    )
    assert sent.returncode == 0, sent.stderr
    answer = lucca_mprh.wait_for_answer(f"MPRH/import/{users.name}", account="mprh-client")
    assert answer.kind == "partner.answer"
    report = lucca_mprh.files("mprh-client").read("MPRH/import/retours/MPRH_salaries.rapport.txt").decode()
    assert "lignes importees: 1" in report
    with pytest.raises(Exception, match="Authentication failed"):
        paramiko_sftp(lucca_mprh.endpoint("sftp"), "mprh-client", password=account.password)


def test_an_account_created_with_a_preset_takes_its_layout(lucca_e_paye: Partner) -> None:
    entry = lucca_e_paye.accounts.create("nouveau", preset="e-paye", password="S3cret-e-paye", name="Nouveau")
    assert [folder.path for folder in entry.account.remote_folders] == [
        "/EPAYE/IN",
        "/EPAYE/CR",
        "/EPAYE/OUT",
    ]
    assert entry.account.endpoints == ("sftp",)
    assert lucca_e_paye.tree.home("nouveau").root.joinpath("EPAYE", "OUT").is_dir()


def test_a_preset_is_changed_with_set(mockpartners: SuiteFactory) -> None:
    settings = [
        "lucca-e-paye.processors.0.name_pattern=^PAIE_.*[.]csv$",
        "lucca-e-paye.presets.e-paye.endpoints=[sftp, ftpes]",
    ]
    suite = mockpartners("lucca-e-paye", settings=settings)
    partner = suite["lucca-e-paye"]
    assert partner.account("epaye-client").endpoints == ("sftp", "ftpes")
    assert partner.profile.processor_specs()[0].name_pattern == "^PAIE_.*[.]csv$"  # type: ignore[union-attr]


def test_unknown_presets_and_list_items_are_one_clear_error(tmp_path: Path) -> None:
    profile = tmp_path / "mine.yaml"
    profile.write_text(
        "extends: lucca\nname: mine\naccounts:\n  - {username: a, password: true, preset: e-pay}\n"
    )
    with pytest.raises(
        ProfileError, match=r"accounts\[0\]\.preset: no preset 'e-pay' \(the profile has lucca\)"
    ):
        load_profile(profile)
    profile.write_text("extends: lucca\nname: mine\nprocessors:\n  5: {delay: 1m}\n")
    with pytest.raises(ProfileError, match=r"processors\.5: lucca has no such item"):
        load_profile(profile)
