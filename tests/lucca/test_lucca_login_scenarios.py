"""Lucca's login scenarios, each seen by real clients with it on, then gone with it off: the right password
refused as wrong, the RSA key refused, a connection type the account allows refused (Lucca's help page
"SFTP/FTPS", "Compte": a login, a password or an RSA key, the connection types it allows)."""

from __future__ import annotations

import ftplib
from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner
from mockpartners.model.errors import UsageError
from mockpartners.scenarios import names
from tests.clients import Askpass, curl_ftps, ftplib_tls, paramiko_sftp, sftp_batch
from tests.lucca.helpers import FTP_LOGIN_DENIED, password_of


def refusals(lucca: Partner, username: str) -> list[str]:
    """The reasons of the refused logins of ``username`` journalled so far."""
    events = lucca.journal.events(kind="auth.attempt", outcome="refused", account=username)
    return [str(event.detail.get("reason")) for event in events]


def test_password_refused_refuses_the_right_password_on_every_connection_type(
    lucca: Partner, tmp_path: Path
) -> None:
    password = password_of(lucca, "paie-tous-types")
    askpass = Askpass.create(tmp_path, password)
    sftp = lucca.endpoint("sftp")
    with lucca.scenarios(names.PASSWORD_REFUSED, account="paie-tous-types"):
        typed = sftp_batch(sftp, "paie-tous-types", "ls /paie\n", askpass=askpass)
        assert typed.returncode != 0 and "Permission denied" in typed.stderr, typed.stderr
        assert len(askpass.prompts) > 1  # the password is asked again, as after a typing mistake
        implicit = curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=password)
        assert implicit.returncode == FTP_LOGIN_DENIED, implicit.stderr
        client = ftplib_tls(lucca.endpoint("ftpes"))
        with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
            client.login("paie-tous-types", password)
        client.close()
        other = curl_ftps(
            lucca.endpoint("ftps"), "paie-sftp", "/", "-l", password=password_of(lucca, "paie-sftp")
        )
        assert other.returncode == FTP_LOGIN_DENIED  # paie-sftp may not use FTPS at all: its own refusal
        transport, listing = paramiko_sftp(sftp, "paie-sftp", password=password_of(lucca, "paie-sftp"))
        with transport, listing:  # another account is not aimed at
            assert listing.listdir("/") == ["paie"]
    reasons = refusals(lucca, "paie-tous-types")
    assert reasons and all("scenario password-refused" in reason for reason in reasons), reasons
    assert reasons[0].startswith("wrong password")

    typed = sftp_batch(sftp, "paie-tous-types", "ls /paie\n", askpass=askpass)
    assert typed.returncode == 0, typed.stderr
    assert curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=password).returncode == 0


def test_password_refused_for_every_account_and_its_bad_parameters(lucca: Partner) -> None:
    lucca.scenarios.on(names.PASSWORD_REFUSED)
    for username in ("paie-sftp", "paie-tous-types"):
        with pytest.raises(paramiko.AuthenticationException):
            paramiko_sftp(lucca.endpoint("sftp"), username, password=password_of(lucca, username))
    with pytest.raises(UsageError, match="scenario password-refused: account: lucca has no account 'nobody'"):
        lucca.scenarios.on(names.PASSWORD_REFUSED, account="nobody")
    with pytest.raises(UsageError, match=r"'paie-cle-rsa' has no password \(it logs in by publickey\)"):
        lucca.scenarios.on(names.PASSWORD_REFUSED, account="paie-cle-rsa")
    assert lucca.scenarios.active(names.PASSWORD_REFUSED) == {"account": ""}  # as it was before
    lucca.scenarios.off(names.PASSWORD_REFUSED)
    transport, _ = paramiko_sftp(
        lucca.endpoint("sftp"), "paie-sftp", password=password_of(lucca, "paie-sftp")
    )
    transport.close()


def test_refuse_keys_refuses_the_rsa_key_to_openssh(lucca: Partner) -> None:
    """ONSS's ``refuse-keys``, offered wherever an endpoint logs in by SSH key: Lucca's "clé RSA"."""
    account = lucca.account("paie-cle-rsa")
    assert names.REFUSE_KEYS in lucca.scenarios.specs
    with lucca.scenarios(names.REFUSE_KEYS):
        refused = sftp_batch(lucca.endpoint("sftp"), "paie-cle-rsa", "ls /paie\n", key=account.private_key)
        assert refused.returncode != 0 and "Permission denied (publickey" in refused.stderr, refused.stderr
    (reason,) = refusals(lucca, "paie-cle-rsa")
    assert reason == "every key is refused (scenario refuse-keys): Server refused our key"
    listed = sftp_batch(lucca.endpoint("sftp"), "paie-cle-rsa", "ls /paie\n", key=account.private_key)
    assert listed.returncode == 0, listed.stderr


def test_connection_type_refused_refuses_one_type_the_account_allows(lucca: Partner) -> None:
    password = password_of(lucca, "paie-tous-types")
    assert lucca.scenarios.info(names.CONNECTION_TYPE_REFUSED).defaults == {"endpoint": "sftp", "account": ""}
    with lucca.scenarios(names.CONNECTION_TYPE_REFUSED, endpoint="ftpes", account="paie-tous-types"):
        explicit = curl_ftps(lucca.endpoint("ftpes"), "paie-tous-types", "/", "-l", password=password)
        assert explicit.returncode == FTP_LOGIN_DENIED, explicit.stderr
        implicit = curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=password)
        assert implicit.returncode == 0, implicit.stderr  # the other types still work
        assert lucca.account("paie-tous-types").endpoints == (
            "sftp",
            "ftps",
            "ftpes",
        )  # the account is as declared
    with lucca.scenarios(names.CONNECTION_TYPE_REFUSED):  # SFTP, every account: keys and passwords alike
        with pytest.raises(paramiko.AuthenticationException):
            paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=password)
        key = lucca.account("paie-cle-rsa").private_key
        refused = sftp_batch(lucca.endpoint("sftp"), "paie-cle-rsa", "ls\n", key=key)
        assert refused.returncode != 0 and "Permission denied" in refused.stderr
    reasons = refusals(lucca, "paie-tous-types") + refusals(lucca, "paie-cle-rsa")
    assert len(reasons) == 3
    assert "may not use endpoint 'ftpes' (scenario connection-type-refused" in reasons[0]
    assert all("scenario connection-type-refused" in reason for reason in reasons)
    explicit = curl_ftps(lucca.endpoint("ftpes"), "paie-tous-types", "/", "-l", password=password)
    assert explicit.returncode == 0, explicit.stderr


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"endpoint": "ftp"}, "endpoint: expected one of sftp, ftps, ftpes, got 'ftp'"),
        ({"endpoint": "ftps", "account": "paie-sftp"}, "account 'paie-sftp' may not use 'ftps' anyway"),
        ({"account": "nobody"}, "account: lucca has no account 'nobody'"),
    ],
)
def test_connection_type_refused_names_what_exists(
    lucca: Partner, parameters: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        lucca.scenarios.on(names.CONNECTION_TYPE_REFUSED, **parameters)
    assert lucca.scenarios.active(names.CONNECTION_TYPE_REFUSED) is None
    assert lucca.journal.events(kind="scenario.*") == []
