"""The account book with real clients: password and key logins on SFTP and FTPES, accounts restricted to
endpoints or to an address, and changes made through the admin API while the partner serves.

The partner is ``tests/profiles/exchange.yaml``, declared only in YAML: an SFTP endpoint and an explicit
FTPS endpoint that logs in by password (``client_certificate: none``, as Lucca's FTPES).
"""

from __future__ import annotations

import ftplib
import subprocess
from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner, Runtime
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api
from tests.clients import Askpass, curl_ftps, ftplib_tls, paramiko_sftp, sftp_batch

PROFILE = Path(__file__).parents[1] / "profiles" / "exchange.yaml"
FTP_LOGIN_DENIED = 67  # curl's CURLE_LOGIN_DENIED: the server answered 530


@pytest.fixture
def exchange_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners(profile_files=[PROFILE], admin=True)


@pytest.fixture
def exchange(exchange_suite: Runtime) -> Partner:
    return exchange_suite["exchange"]


@pytest.fixture
def api(exchange_suite: Runtime) -> Api:
    assert exchange_suite.admin is not None
    return Api(exchange_suite.admin.url)


def password_of(partner: Partner, username: str) -> str:
    password = partner.account(username).password
    assert password, f"{username} has no password"
    return password


def sftp_listing(partner: Partner, username: str, password: str, source: str | None = None) -> list[str]:
    transport, sftp = paramiko_sftp(partner.endpoint("sftp"), username, password=password, source=source)
    with transport, sftp:
        return sorted(sftp.listdir("/"))


def ftpes_listing(
    partner: Partner, username: str, password: str, source: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``curl --ssl-reqd -u user:password ftp://...`` (explicit TLS, no client certificate)."""
    return curl_ftps(partner.endpoint("ftpes"), username, "/", "-l", password=password, source=source)


def openssh(
    partner: Partner, username: str, password: str, folder: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """OpenSSH ``sftp`` typing ``password`` at the prompt (through SSH_ASKPASS), then ``ls``."""
    folder.mkdir(exist_ok=True)
    askpass = Askpass.create(folder, password)
    options = ("-o", "NumberOfPasswordPrompts=1", *options)
    return sftp_batch(partner.endpoint("sftp"), username, "ls\n", askpass=askpass, options=options)


def refusal(partner: Partner, username: str) -> str:
    """The reason the journal gives for the latest refused login of ``username``."""
    return str(
        partner.journal.wait_for(kind="auth.attempt", outcome="refused", account=username).detail["reason"]
    )


def test_openssh_sftp_logs_in_with_a_password(exchange: Partner, tmp_path: Path) -> None:
    password = password_of(exchange, "payroll")
    typed = openssh(exchange, "payroll", password, tmp_path / "keyboard")
    assert typed.returncode == 0, typed.stderr
    assert typed.stdout.split()[-2:] == ["in", "out"]
    prompted = openssh(
        exchange, "payroll", password, tmp_path / "password", "-o", "PreferredAuthentications=password"
    )
    assert prompted.returncode == 0, prompted.stderr
    methods = [
        event.detail["method"] for event in exchange.journal.events(kind="session.login", account="payroll")
    ]
    assert sorted(methods) == ["keyboard-interactive", "password"]
    wrong = openssh(exchange, "payroll", "not-" + password, tmp_path / "wrong")
    assert wrong.returncode != 0
    assert refusal(exchange, "payroll") == "wrong password"


def test_paramiko_logs_in_by_password_or_by_key_as_each_account_may(exchange: Partner) -> None:
    assert sftp_listing(exchange, "payroll", password_of(exchange, "payroll")) == ["in", "out"]
    keyed = exchange.account("keyed")
    transport, sftp = paramiko_sftp(exchange.endpoint("sftp"), "keyed", key=keyed.private_key)
    with transport, sftp:
        assert sorted(sftp.listdir("/")) == ["in", "out"]
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(exchange.endpoint("sftp"), "keyed", password="anything")
    assert refusal(exchange, "keyed") == (
        "password authentication is not allowed for account 'keyed' (it logs in by publickey)"
    )


def test_curl_logs_in_by_password_over_explicit_tls(exchange: Partner) -> None:
    listed = ftpes_listing(exchange, "payroll", password_of(exchange, "payroll"))
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split()) == ["in", "out"]
    login = exchange.journal.wait_for(kind="session.login", account="payroll")
    assert login.detail["method"] == "password"
    assert exchange.journal.wait_for(kind="session.tls", session=login.session).detail["version"] == "TLSv1.3"
    refused = ftpes_listing(exchange, "payroll", "wrong")
    assert refused.returncode == FTP_LOGIN_DENIED, refused.stderr
    assert refusal(exchange, "payroll") == "wrong password"


def test_an_account_is_refused_where_it_may_not_go_each_protocol_its_own_way(exchange: Partner) -> None:
    refused = ftpes_listing(exchange, "sftp-only", "s3cret-sftp")
    assert refused.returncode == FTP_LOGIN_DENIED, refused.stderr  # 530
    assert (
        refusal(exchange, "sftp-only") == "account 'sftp-only' may not use endpoint 'ftpes' (it may use sftp)"
    )
    with pytest.raises(paramiko.AuthenticationException):  # an SSH authentication failure
        sftp_listing(exchange, "ftpes-only", "s3cret-ftpes")
    assert refusal(exchange, "ftpes-only") == (
        "account 'ftpes-only' may not use endpoint 'sftp' (it may use ftpes)"
    )
    assert sftp_listing(exchange, "sftp-only", "s3cret-sftp") == ["in", "out"]
    assert ftpes_listing(exchange, "ftpes-only", "s3cret-ftpes").returncode == 0


def test_the_allowlist_applies_on_sftp_as_on_ftpes(exchange: Partner) -> None:
    password = password_of(exchange, "fenced")
    with pytest.raises(paramiko.AuthenticationException):
        sftp_listing(exchange, "fenced", password, source="127.0.0.6")
    assert refusal(exchange, "fenced") == "address 127.0.0.6 is not on the account's allowlist"
    assert ftpes_listing(exchange, "fenced", password, source="127.0.0.6").returncode == FTP_LOGIN_DENIED
    assert sftp_listing(exchange, "fenced", password, source="127.0.0.5") == ["in", "out"]
    assert ftpes_listing(exchange, "fenced", password, source="127.0.0.5").returncode == 0


def test_a_password_changed_through_the_admin_api_is_refused_at_once_on_every_protocol(
    exchange: Partner, api: Api, tmp_path: Path
) -> None:
    """The issue's "done when": the old password no longer works anywhere, the new one works everywhere."""
    old, new = password_of(exchange, "payroll"), "n3w-passw0rd"
    assert sftp_listing(exchange, "payroll", old) == ["in", "out"]
    changed = api.ok("PATCH", "/v1/partners/exchange/accounts/payroll", json_body={"password": new})
    assert changed["password"] == new

    with pytest.raises(paramiko.AuthenticationException):
        sftp_listing(exchange, "payroll", old)
    assert openssh(exchange, "payroll", old, tmp_path / "old").returncode != 0
    assert ftpes_listing(exchange, "payroll", old).returncode == FTP_LOGIN_DENIED
    refused = exchange.journal.events(kind="auth.attempt", outcome="refused", account="payroll")
    assert {event.protocol for event in refused} == {"sftp", "ftps"}
    assert {event.detail["reason"] for event in refused} == {"wrong password"}

    assert sftp_listing(exchange, "payroll", new) == ["in", "out"]
    assert openssh(exchange, "payroll", new, tmp_path / "new").returncode == 0
    assert ftpes_listing(exchange, "payroll", new).returncode == 0
    event = exchange.journal.wait_for(kind="account.changed", account="payroll")
    assert event.detail["changed"] == ["password"] and new not in str(event.detail)


def test_a_removed_account_cannot_log_in(exchange: Partner, api: Api) -> None:
    password = password_of(exchange, "payroll")
    removed = api.ok("DELETE", "/v1/partners/exchange/accounts/payroll")
    assert removed["removed"] is True
    with pytest.raises(paramiko.AuthenticationException):
        sftp_listing(exchange, "payroll", password)
    assert refusal(exchange, "payroll") == "unknown account 'payroll'"
    assert ftpes_listing(exchange, "payroll", password).returncode == FTP_LOGIN_DENIED
    assert (
        exchange.journal.wait_for(kind="account.removed", account="payroll").detail["cut_sessions"] is False
    )


def _ftpes_session(partner: Partner, username: str, password: str) -> ftplib.FTP_TLS:
    client = ftplib_tls(partner.endpoint("ftpes"))
    client.login(username, password)
    client.prot_p()
    return client


def test_cut_sessions_ends_the_live_sftp_and_ftpes_sessions_of_a_changed_account(
    exchange: Partner, api: Api
) -> None:
    password = password_of(exchange, "payroll")
    transport, sftp = paramiko_sftp(exchange.endpoint("sftp"), "payroll", password=password)
    ftp = _ftpes_session(exchange, "payroll", password)
    with transport, sftp, ftp:
        api.ok("PATCH", "/v1/partners/exchange/accounts/payroll", json_body={"description": "renamed"})
        assert sorted(sftp.listdir("/")) == ["in", "out"]  # without cut_sessions, live sessions go on
        assert sorted(ftp.nlst()) == ["in", "out"]
        assert exchange.accounts.live_sessions("payroll") == 2

        body = {"password": "n3w-passw0rd", "cut_sessions": True}
        assert api.ok("PATCH", "/v1/partners/exchange/accounts/payroll", json_body=body)["live_sessions"] == 0
        with pytest.raises(ftplib.error_temp, match=r"^421 Your account was changed"):
            ftp.getresp()
        transport.join(timeout=10)  # paramiko's reader ends when the server disconnects
        assert not transport.is_active()
    cuts = exchange.journal.events(kind="session.cut", account="payroll")
    assert sorted(event.protocol for event in cuts) == ["ftps", "sftp"]
    assert all("changed (password)" in event.detail["reason"] for event in cuts)
    changed = exchange.journal.events(kind="account.changed", account="payroll")
    assert max(event.id for event in changed) < min(event.id for event in cuts)  # journalled, then cut
    ended = exchange.journal.events(kind="session.disconnect", account="payroll")
    assert {event.detail["reason"] for event in ended} == {cuts[0].detail["reason"]}


def test_cut_sessions_on_removal(exchange: Partner, api: Api) -> None:
    transport, sftp = paramiko_sftp(exchange.endpoint("sftp"), "sftp-only", password="s3cret-sftp")
    with transport, sftp:
        api.ok("DELETE", "/v1/partners/exchange/accounts/sftp-only?cut_sessions=true")
        transport.join(timeout=10)
        assert not transport.is_active()
    assert exchange.journal.wait_for(kind="session.cut", account="sftp-only").detail["reason"] == (
        "account 'sftp-only' removed"
    )
