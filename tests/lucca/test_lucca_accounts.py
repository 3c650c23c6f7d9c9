"""The Lucca-hosted server: one tree over SFTP, FTPS (implicit) and FTPES (explicit), accounts that log in by
password or RSA key, each only over the connection types it allows, and remote folders as real nested
folders (Lucca's help page "SFTP/FTPS": "Type de connexion", "Compte", "Dossier distant")."""

from __future__ import annotations

import io
from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner
from tests.clients import Askpass, curl_ftps, ftplib_tls, lftp_ftps, paramiko_sftp, sftp_batch
from tests.lucca.helpers import FTP_LOGIN_DENIED, password_of


def wait_for_refusal(lucca: Partner, username: str, reason: str) -> None:
    """Until a login of ``username`` is journalled as refused for ``reason``."""
    lucca.journal.wait_until(
        lambda: any(
            reason in str(event.detail.get("reason"))
            for event in lucca.journal.events(kind="auth.attempt", outcome="refused", account=username)
        ),
        5.0,
        f"a refusal of {username} journalled with the reason {reason!r}",
    )


def test_one_account_reaches_the_same_remote_folders_over_sftp_ftps_and_ftpes(
    lucca: Partner, tmp_path: Path
) -> None:
    password = password_of(lucca, "paie-tous-types")
    ftps, ftpes = lucca.endpoint("ftps"), lucca.endpoint("ftpes")
    assert ftps.tls is not None and ftps.tls.mode == "implicit"
    assert ftpes.tls is not None and ftpes.tls.mode == "explicit"

    implicit = curl_ftps(ftps, "paie-tous-types", "/paie/import/", "-l", password=password)  # ftps://
    explicit = curl_ftps(ftpes, "paie-tous-types", "/paie/import/", "-l", password=password)  # --ssl-reqd
    assert implicit.returncode == 0 and explicit.returncode == 0, (implicit.stderr, explicit.stderr)
    assert sorted(implicit.stdout.split()) == sorted(explicit.stdout.split()) == ["rapports", "utilisateurs"]

    for endpoint in (ftps, ftpes):
        listed = lftp_ftps(endpoint, "paie-tous-types", "ls paie/export", password=password)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split()[-1] == "absences"

    askpass = Askpass.create(tmp_path, password)
    typed = sftp_batch(lucca.endpoint("sftp"), "paie-tous-types", "ls /paie\n", askpass=askpass)
    assert typed.returncode == 0, typed.stderr
    assert sorted(typed.stdout.split()[-2:]) == ["/paie/export", "/paie/import"]

    client = ftplib_tls(ftps)
    client.login("paie-tous-types", password)
    client.prot_p()
    assert sorted(client.nlst("/paie/import")) == ["rapports", "utilisateurs"]
    client.quit()


def test_the_rsa_key_account_logs_in_by_key_over_sftp_and_nowhere_else(lucca: Partner) -> None:
    account = lucca.account("paie-cle-rsa")
    assert account.password is None and account.private_key is not None
    listed = sftp_batch(lucca.endpoint("sftp"), "paie-cle-rsa", "ls /paie/import\n", key=account.private_key)
    assert listed.returncode == 0, listed.stderr

    refused = curl_ftps(lucca.endpoint("ftpes"), "paie-cle-rsa", "/", "-l", password="anything")
    assert refused.returncode == FTP_LOGIN_DENIED, refused.stderr
    event = lucca.journal.wait_for(kind="auth.attempt", outcome="refused", account="paie-cle-rsa")
    assert "may not use endpoint 'ftpes'" in str(event.detail["reason"])


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [("paie-sftp", "sftp", ("ftps", "ftpes")), ("paie-ftpes", "ftpes", ("sftp", "ftps"))],
)
def test_a_connection_type_the_account_does_not_allow_is_refused_as_the_protocol_refuses(
    lucca: Partner, username: str, allowed: str, refused: tuple[str, ...]
) -> None:
    password = password_of(lucca, username)
    for endpoint in refused:
        if endpoint == "sftp":
            with pytest.raises(paramiko.AuthenticationException):  # SSH: the password is not accepted
                paramiko_sftp(lucca.endpoint("sftp"), username, password=password)
        else:
            denied = curl_ftps(lucca.endpoint(endpoint), username, "/", "-l", password=password)
            assert denied.returncode == FTP_LOGIN_DENIED, denied.stderr  # FTP: 530
        wait_for_refusal(lucca, username, f"may not use endpoint {endpoint!r}")
    if allowed == "sftp":
        transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), username, password=password)
        with transport, sftp:
            assert sftp.listdir("/") == ["paie"]
    else:
        listed = curl_ftps(lucca.endpoint(allowed), username, "/", "-l", password=password)
        assert listed.returncode == 0, listed.stderr
        assert sorted(listed.stdout.split()) == ["entrees", "sorties"]


def test_remote_folders_are_real_nested_folders_with_the_rights_of_their_use(lucca: Partner) -> None:
    home = lucca.tree.home("paie-tous-types").root
    for path in ("paie/import/utilisateurs", "paie/import/rapports", "paie/export/absences"):
        assert (home / path).is_dir()
    password = password_of(lucca, "paie-tous-types")
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=password)
    with transport, sftp:
        with pytest.raises(PermissionError):
            sftp.putfo(io.BytesIO(b"x"), "/paie/export/absences/mine.csv")
        with pytest.raises(PermissionError):
            sftp.putfo(io.BytesIO(b"x"), "/paie/stray.csv")  # between folders: list only
        with pytest.raises(PermissionError):
            sftp.rmdir("/paie/import/utilisateurs")  # a remote folder is the partner's
    refusals = lucca.journal.events(kind="fs.open", outcome="refused", account="paie-tous-types")
    assert [event.path for event in refusals] == ["paie/export/absences/mine.csv", "paie/stray.csv"]
