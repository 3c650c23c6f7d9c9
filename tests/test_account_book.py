"""The account book from Python and from profiles: accounts declared with passwords, methods and endpoints,
changed while serving through ``partner.accounts``, followed by endpoints.json and the cheat-sheet."""

from __future__ import annotations

import shlex
import stat
import subprocess
from pathlib import Path

import asyncssh
import paramiko
import pytest

from mockpartners import Partner, Runtime, SuiteInfo
from mockpartners.app.cheatsheet import render
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.model.errors import ProfileError, StateError, UnknownAccountError
from mockpartners.model.loading import load_profile
from mockpartners.ports.accounts import AccountError
from tests.clients import Certificate, curl_ftps, paramiko_sftp, require

PROFILE = Path(__file__).parent / "profiles" / "exchange.yaml"


@pytest.fixture
def exchange_suite(mockpartners: SuiteFactory) -> Runtime:
    return mockpartners(profile_files=[PROFILE])


@pytest.fixture
def exchange(exchange_suite: Runtime) -> Partner:
    return exchange_suite["exchange"]


def _profile_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "partner.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    return str(error.value)


@pytest.mark.parametrize(
    ("account", "line"),
    [
        (
            "  - username: a\n    password: s3cret\n",
            "line 3: accounts[0]: 'a' can log in on no endpoint it may use: it logs in by "
            "keyboard-interactive, password; ftps accepts certificate",
        ),
        ("  - username: a\n", "line 3: accounts[0]: the account has no way to log in"),
        (
            "  - username: a\n    certificate: true\n    endpoints: [ftp]\n",
            "line 5: accounts[0].endpoints[0]: no endpoint 'ftp' (the profile has ftps)",
        ),
        (
            "  - username: a\n    certificate: true\n    auth: [certificate, publickey]\n",
            "line 5: accounts[0].auth[1]: publickey needs a key (sample_key or authorized_keys)",
        ),
        (
            "  - username: a\n    password: 1234\n",
            "line 4: accounts[0].password: write the password in quotes",
        ),
        ("  - username: a\n    password: ''\n", "line 4: accounts[0].password: an empty password"),
    ],
)
def test_an_account_that_cannot_log_in_is_one_clear_profile_error(
    tmp_path: Path, account: str, line: str
) -> None:
    error = _profile_error(tmp_path, f"extends: magda\naccounts:\n{account}")
    assert error.startswith("invalid profile: ") and "\n" not in error, error
    assert line in error, error


def test_profiles_keep_their_methods_onss_by_key_magda_by_certificate() -> None:
    assert [account.methods() for account in load_profile("onss").accounts] == [("publickey",)] * 2
    assert [account.methods() for account in load_profile("magda").accounts] == [("certificate",)] * 2
    assert [account.methods() for account in load_profile(PROFILE).accounts][:2] == [
        ("password", "keyboard-interactive"),
        ("publickey",),
    ]


def test_a_generated_password_is_kept_private_in_the_state_directory(
    mockpartners: SuiteFactory, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = mockpartners(profile_files=[PROFILE], state_dir=state)["exchange"].account("payroll").password
    stored = state / "exchange" / "credentials" / "accounts" / "payroll" / "password"
    assert stored.read_text().strip() == first
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    mockpartners.stop_all()
    assert (
        mockpartners(profile_files=[PROFILE], state_dir=state)["exchange"].account("payroll").password
        == first
    )
    assert not (state / "exchange" / "credentials" / "accounts" / "sftp-only" / "password").exists()


def test_created_changed_and_removed_from_python(exchange: Partner, tmp_path: Path) -> None:
    created = exchange.accounts.create(
        "newcomer", password=True, endpoints=["sftp"], description="from Python"
    )
    assert created.password and exchange.account("newcomer").password == created.password
    transport, sftp = paramiko_sftp(exchange.endpoint("sftp"), "newcomer", password=created.password)
    with transport, sftp:
        assert sorted(sftp.listdir("/")) == ["in", "out"]  # its home was made before it could log in

    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(tmp_path / "id_ed25519")
    line = key.export_public_key().decode()
    exchange.accounts.change("newcomer", password=None, public_keys=[line])
    with pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(exchange.endpoint("sftp"), "newcomer", password=created.password)
    transport, sftp = paramiko_sftp(exchange.endpoint("sftp"), "newcomer", key=tmp_path / "id_ed25519")
    with transport, sftp:
        assert sftp.listdir("/")
    assert exchange.account("newcomer").public_keys == (line.strip(),)
    assert exchange.account("newcomer").auth == ("publickey",)

    exchange.accounts.remove("newcomer")
    assert "newcomer" not in exchange.accounts
    kinds = [event.kind for event in exchange.journal.events(kind="account.*", account="newcomer")]
    assert sorted(kinds) == ["account.changed", "account.created", "account.removed"]


def test_changes_are_checked_as_profile_accounts(exchange: Partner) -> None:
    with pytest.raises(
        AccountError, match=r"^cannot change account 'keyed': the account has no way to log in"
    ):
        exchange.accounts.change("keyed", public_keys=[])
    with pytest.raises(
        AccountError, match=r"endpoints\[0\]: no endpoint 'ftps' \(the profile has sftp, ftpes\)"
    ):
        exchange.accounts.change("payroll", endpoints=["ftps"])
    with pytest.raises(AccountError, match=r"'keyed' can log in on no endpoint it may use"):
        exchange.accounts.change("keyed", endpoints=["ftpes"])
    with pytest.raises(AccountError, match=r"public_keys\[0\]: not an OpenSSH public key line"):
        exchange.accounts.change("keyed", public_keys=["ssh-ed25519 garbage"])
    with pytest.raises(AccountError, match=r"ip_allowlist\[0\]: 'somewhere' is not an IPv4 or IPv6 address"):
        exchange.accounts.change("payroll", ip_allowlist=["somewhere"])
    with pytest.raises(AccountError, match=r"username: a user name cannot start with a dot"):
        exchange.accounts.create("..", password="x")
    with pytest.raises(AccountError, match=r"nothing to change"):
        exchange.accounts.change("payroll")
    with pytest.raises(StateError, match=r"already has an account 'payroll'"):
        exchange.accounts.create("payroll", password="x")
    with pytest.raises(UnknownAccountError, match=r"no account 'nobody'"):
        exchange.accounts.remove("nobody")
    assert exchange.journal.events(kind="account.*") == []  # nothing refused was applied


def test_onss_rules_hold_for_accounts_made_while_serving(onss: Partner) -> None:
    key = onss.account("EXP0000001").key
    assert key is not None
    line = Path(key.public_key).read_text()
    with pytest.raises(
        AccountError, match=r"^cannot create account 'ROOT': username: 'ROOT' does not match username_pattern"
    ):
        onss.accounts.create("ROOT", public_keys=[line])
    with pytest.raises(
        AccountError, match=r"'EXP9' can log in on no endpoint it may use.*sftp accepts publickey"
    ):
        onss.accounts.create("EXP9", password="s3cret")


def test_a_reset_brings_back_the_profiles_accounts(exchange: Partner) -> None:
    password = exchange.account("payroll").password
    exchange.accounts.create("newcomer", password="n3wcomer")
    exchange.accounts.change("payroll", password="changed")
    exchange.accounts.remove("keyed")
    home = Path(exchange.account("newcomer").home)
    (home / "in" / "x.txt").write_text("x")
    exchange.reset()
    assert exchange.accounts.usernames() == ["payroll", "keyed", "sftp-only", "ftpes-only", "fenced"]
    assert exchange.account("payroll").password == password
    assert not home.exists()


def test_endpoints_json_and_the_cheat_sheet_follow_the_accounts(
    exchange_suite: Runtime, exchange: Partner
) -> None:
    exchange.accounts.create("newcomer", password="n3wcomer-pw", endpoints=["ftpes"])
    written = SuiteInfo.load(exchange_suite.state.endpoints_path)["exchange"]
    assert written.account("newcomer").password == "n3wcomer-pw"
    assert written.account("newcomer").endpoints == ("ftpes",)
    assert "newcomer     password n3wcomer-pw" in render(exchange_suite.info)
    exchange.accounts.remove("newcomer")
    assert "newcomer" not in [
        account.username
        for account in SuiteInfo.load(exchange_suite.state.endpoints_path)["exchange"].accounts
    ]


def _pasted(sheet: str, program: str, marker: str) -> list[str]:
    line = next(
        line.strip() for line in sheet.splitlines() if line.strip().startswith(program) and marker in line
    )
    return shlex.split(line)


def test_the_cheat_sheet_commands_of_a_password_account_work_when_pasted(exchange_suite: Runtime) -> None:
    sheet = render(exchange_suite.info)
    require("curl")
    for marker in ("sftp://", "ftp://"):
        curled = subprocess.run(_pasted(sheet, "curl", marker), capture_output=True, text=True, timeout=30)
        assert curled.returncode == 0, curled.stderr
        assert {"in", "out"} <= set(curled.stdout.split()), curled.stdout
    require("lftp")
    lftp = subprocess.run(
        _pasted(sheet, "lftp", "open -u payroll"), capture_output=True, text=True, timeout=30
    )
    assert lftp.returncode == 0, lftp.stderr
    assert {line.split()[-1] for line in lftp.stdout.splitlines()} == {"in", "out"}


def test_a_magda_account_made_while_serving_logs_in_with_its_new_certificate(magda: Partner) -> None:
    magda.accounts.create("afnemer-0003", certificate=True, ip_allowlist=["127.0.0.1"])
    account = magda.account("afnemer-0003")
    assert account.certificate is not None and account.certificate.common_name == "afnemer-0003"
    listed = curl_ftps(magda.endpoint(), "afnemer-0003", "/", "-l", certificate=Certificate.of(account))
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split()) == ["cache", "from_vip", "publiek", "to_vip"]
    login = magda.journal.wait_for(kind="session.login", account="afnemer-0003")
    assert login.detail["method"] == "certificate"


def test_retention_ages_the_files_of_accounts_made_while_serving(magda: Partner) -> None:
    magda.accounts.create("afnemer-0003", certificate=True, ip_allowlist=["127.0.0.1"])
    magda.clock.freeze()
    magda.files("afnemer-0003").drop("publiek/OUD.xml", "<codetabel/>")
    magda.clock.advance("32d")  # past publiek's month, and a retention sweep due
    swept = magda.journal.wait_for(kind="partner.retention", account="afnemer-0003", path="publiek/OUD.xml")
    assert swept.detail["retention"] == "1mo"
    listed = curl_ftps(
        magda.endpoint(),
        "afnemer-0003",
        "/publiek/",
        "-l",
        certificate=Certificate.of(magda.account("afnemer-0003")),
    )
    assert listed.returncode == 0 and listed.stdout.split() == [], listed.stderr
