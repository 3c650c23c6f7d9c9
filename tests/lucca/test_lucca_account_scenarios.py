"""``account-edited``: a Lucca account edited while a client is connected (Lucca's help page "SFTP/FTPS",
"Mettre à jour un serveur SFTP/FTPS existant": "mettre à jour ... le login et le mot de passe"), seen by
paramiko, ftplib, curl and lftp; switched off, the account is as it was."""

from __future__ import annotations

import ftplib
import ssl

import paramiko
import pytest

from mockpartners import Partner
from mockpartners.model.errors import UsageError
from mockpartners.scenarios import names
from tests.clients import curl_ftps, ftplib_tls, lftp_ftps, paramiko_sftp
from tests.lucca.helpers import FTP_LOGIN_DENIED, password_of


def ftpes_session(lucca: Partner, username: str, password: str) -> ftplib.FTP_TLS:
    client = ftplib_tls(lucca.endpoint("ftpes"))
    client.login(username, password)
    client.prot_p()
    return client


def test_a_password_edited_while_clients_are_connected(lucca: Partner) -> None:
    """The live sessions go on (servers check a password at login only); a new login with the old password
    is refused on every connection type, the new one works; switched off, the old one works again."""
    old = password_of(lucca, "paie-tous-types")
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=old)
    ftpes = ftpes_session(lucca, "paie-tous-types", old)
    with transport, sftp:
        lucca.scenarios.on(names.ACCOUNT_EDITED, account="paie-tous-types")
        assert sorted(sftp.listdir("/paie")) == ["export", "import"]
        assert sorted(ftpes.nlst("/paie/import")) == ["rapports", "utilisateurs"]
        ftpes.quit()
    new = password_of(lucca, "paie-tous-types")
    assert new != old
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=old)
    refused = curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=old)
    assert refused.returncode == FTP_LOGIN_DENIED, refused.stderr
    assert curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=new).returncode == 0

    changed = lucca.journal.wait_for(kind="account.changed", account="paie-tous-types")
    assert changed.detail["changed"] == ["password"] and changed.detail["live_sessions"] == 2
    (switched,) = lucca.journal.events(kind="scenario.on")
    assert switched.account == "paie-tous-types" and switched.detail["edited"] == "password"
    assert lucca.journal.events(kind="session.cut") == []

    lucca.scenarios.off(names.ACCOUNT_EDITED)
    assert password_of(lucca, "paie-tous-types") == old
    assert lucca.journal.events(kind="scenario.off")[-1].detail["restored"] is True
    transport, sftp = paramiko_sftp(lucca.endpoint("sftp"), "paie-tous-types", password=old)
    transport.close()


def test_connection_types_taken_away_with_the_live_session_cut(lucca: Partner) -> None:
    """``what=connection-types``: the account loses FTPES, its endpoints follow (endpoints.json), and with
    ``cut_sessions`` the FTPES session it had is ended (``421``)."""
    password = password_of(lucca, "paie-tous-types")
    live = ftpes_session(lucca, "paie-tous-types", password)
    lucca.scenarios.on(
        names.ACCOUNT_EDITED,
        account="paie-tous-types",
        what="connection-types",
        endpoint="ftpes",
        cut_sessions=True,
    )
    assert (
        lucca.journal.wait_for(kind="session.cut", account="paie-tous-types")
        .detail["reason"]
        .startswith("account 'paie-tous-types' changed (endpoints)")
    )
    with pytest.raises((ftplib.error_temp, EOFError, ConnectionError, ssl.SSLError)):
        live.nlst("/paie")
    live.close()
    assert lucca.account("paie-tous-types").endpoints == ("sftp", "ftps")
    refused = lftp_ftps(lucca.endpoint("ftpes"), "paie-tous-types", "ls", password=password)
    assert refused.returncode != 0 and "Login incorrect" in refused.stderr, refused.stderr
    assert curl_ftps(lucca.endpoint("ftps"), "paie-tous-types", "/", "-l", password=password).returncode == 0

    lucca.scenarios.off(names.ACCOUNT_EDITED)
    assert lucca.account("paie-tous-types").endpoints == ("sftp", "ftps", "ftpes")
    listed = lftp_ftps(lucca.endpoint("ftpes"), "paie-tous-types", "ls paie", password=password)
    assert listed.returncode == 0, listed.stderr


def test_account_edited_by_default_and_what_it_refuses(lucca: Partner) -> None:
    """By default the first account with a password gets a new one; connection types by default leave the
    account its first one (SFTP: "privilégier le SFTP"). An edit that would leave nothing is refused."""
    with lucca.scenarios(names.ACCOUNT_EDITED, what="connection-types"):
        assert lucca.account("paie-tous-types").endpoints == ("sftp",)
    assert lucca.account("paie-tous-types").endpoints == ("sftp", "ftps", "ftpes")
    with pytest.raises(UsageError, match="account 'paie-cle-rsa' has no password to change"):
        lucca.scenarios.on(names.ACCOUNT_EDITED, account="paie-cle-rsa")
    with pytest.raises(UsageError, match="account 'paie-sftp' may not use 'ftpes' already"):
        lucca.scenarios.on(
            names.ACCOUNT_EDITED, account="paie-sftp", what="connection-types", endpoint="ftpes"
        )
    with pytest.raises(
        UsageError,
        match="account 'paie-sftp' may use 'sftp' only: taking a connection type away would leave it none",
    ):
        lucca.scenarios.on(
            names.ACCOUNT_EDITED, account="paie-sftp", what="connection-types", endpoint="sftp"
        )
    assert lucca.scenarios.active(names.ACCOUNT_EDITED) is None
    assert {event.account for event in lucca.journal.events(kind="account.changed")} == {"paie-tous-types"}


def test_an_account_changed_again_meanwhile_is_left_as_it_is(lucca: Partner) -> None:
    lucca.scenarios.on(names.ACCOUNT_EDITED, account="paie-sftp")
    lucca.accounts.change("paie-sftp", password="chosen-by-the-admin")
    lucca.scenarios.off(names.ACCOUNT_EDITED)
    assert password_of(lucca, "paie-sftp") == "chosen-by-the-admin"
    assert lucca.journal.events(kind="scenario.off")[-1].detail["restored"] is False


def test_switched_on_again_the_first_edit_is_undone_first(lucca: Partner) -> None:
    edit = {"account": "paie-tous-types", "what": "connection-types"}
    lucca.scenarios.on(names.ACCOUNT_EDITED, **edit, endpoint="ftpes")
    assert lucca.account("paie-tous-types").endpoints == ("sftp", "ftps")
    lucca.scenarios.on(names.ACCOUNT_EDITED, **edit, endpoint="ftps")  # against the account as declared
    assert lucca.account("paie-tous-types").endpoints == ("sftp", "ftpes")
    lucca.scenarios.off(names.ACCOUNT_EDITED)
    assert lucca.account("paie-tous-types").endpoints == ("sftp", "ftps", "ftpes")
