"""Lucca's scenarios switched while ``mockpartners up lucca`` runs, as trainers and CI jobs switch them: the
command line (``mockpartners scenario on lucca NAME --param ...``) and the admin API, with their clear
refusals, and a real client seeing the difference."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from mockpartners.scenarios import names
from tests.admin.conftest import Api
from tests.clients import paramiko_sftp
from tests.running import up
from tests.test_cli_admin import ok, refused

LUCCA_SCENARIOS = [
    names.PASSWORD_REFUSED,
    names.CONNECTION_TYPE_REFUSED,
    names.ACCOUNT_EDITED,
    names.REMOTE_FOLDER_MISSING,
    names.TLS_MODES_SWAPPED,
    names.REFUSE_KEYS,
]


def test_switched_from_the_command_line_and_the_admin_api(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    with up(tmp_path / "state", mockpartners_credentials, partner="lucca") as running:
        listed = ok("scenario", "list", "lucca", *running.where)
        assert all(name in listed for name in LUCCA_SCENARIOS), listed
        sftp = running.info["lucca"].endpoint("sftp")
        password = running.info["lucca"].account("paie-sftp").password
        assert password is not None

        ok("scenario", "on", "lucca", names.PASSWORD_REFUSED, "--param", "account=paie-sftp", *running.where)
        with pytest.raises(paramiko.AuthenticationException):
            paramiko_sftp(sftp, "paie-sftp", password=password)
        ok("scenario", "off", "lucca", names.PASSWORD_REFUSED, *running.where)
        transport, _ = paramiko_sftp(sftp, "paie-sftp", password=password)
        transport.close()
        wrong = ("scenario", "on", "lucca", names.REMOTE_FOLDER_MISSING, "--param", "folder=/nulle/part")
        assert "scenario remote-folder-missing: folder: no remote folder is '/nulle/part'" in refused(
            *wrong, *running.where
        )

        assert running.info.admin is not None
        api = Api(running.info.admin.url)
        edited = api.put(
            f"/v1/partners/lucca/scenarios/{names.ACCOUNT_EDITED}",
            json_body={"parameters": {"account": "paie-sftp"}},
        )
        assert edited.status == 200 and edited.json()["active"] is True
        new = running.info["lucca"].account("paie-sftp").password  # endpoints.json follows the account
        assert new not in (None, password)
        with pytest.raises(paramiko.AuthenticationException):
            paramiko_sftp(sftp, "paie-sftp", password=password)
        unusable = api.put(
            f"/v1/partners/lucca/scenarios/{names.ACCOUNT_EDITED}",
            json_body={"parameters": {"account": "paie-cle-rsa"}},
        )
        assert unusable.status == 400 and "account 'paie-cle-rsa' has no password to change" in unusable.error
        assert running.info["lucca"].account("paie-sftp").password == new  # the edit in force stays
        assert api.delete(f"/v1/partners/lucca/scenarios/{names.ACCOUNT_EDITED}").status == 200
        assert running.info["lucca"].account("paie-sftp").password == password
