"""The paste-ready commands (``GET /v1/partners/{p}/commands``) work as pasted: run with the real clients."""

from __future__ import annotations

import base64
import shlex
import subprocess

from mockpartners.app.cheatsheet import render
from mockpartners.app.clients import commands_of
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api
from tests.clients import require


def _command(commands: dict[str, object], username: str, endpoint: str, client: str) -> str:
    for account in commands["accounts"]:  # type: ignore[attr-defined]
        if account["username"] != username:
            continue
        for block in account["endpoints"]:
            if block["endpoint"] == endpoint:
                for command in block["commands"]:
                    if command["client"] == client:
                        return str(command["text"])
    raise AssertionError(f"no {client} command for {username} on {endpoint}: {commands}")


def test_the_openssh_and_curl_commands_log_in_as_pasted(mockpartners: SuiteFactory) -> None:
    require("sftp")
    require("curl")
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None
    commands = Api(suite.admin.url).ok("GET", "/v1/partners/onss/commands")
    openssh = _command(commands, "EXP0000001", "sftp", "OpenSSH sftp")
    program, *arguments = shlex.split(openssh)
    done = subprocess.run([program, "-b", "-", *arguments], input="ls\n", text=True, capture_output=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    curl = _command(commands, "EXP0000001", "sftp", "curl")
    listed = subprocess.run([*shlex.split(curl), "-s"], text=True, capture_output=True, timeout=30)
    assert listed.returncode == 0 and "IN" in listed.stdout, listed.stderr


def test_winscp_urls_and_filezilla_settings(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", "magda", admin=True)
    onss = suite["onss"].info()
    key = onss.endpoint().host_keys[0]
    url = _command({"accounts": commands_of(onss)}, "EXP0000001", "sftp", "WinSCP")
    endpoint = onss.endpoint()
    digest = base64.b64decode(key.sha256.removeprefix("SHA256:") + "=")
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert url == f"sftp://EXP0000001;fingerprint={key.algorithm}-{expected}@{endpoint.host}:{endpoint.port}/"
    filezilla = _command({"accounts": commands_of(onss)}, "EXP0000001", "sftp", "FileZilla")
    assert "Logon Type: Key file" in filezilla and f"Port: {endpoint.port}" in filezilla
    magda = suite["magda"].info()
    assert _command({"accounts": commands_of(magda)}, "afnemer-0001", "ftps", "WinSCP").startswith("ftpes://")
    refusal = _command({"accounts": commands_of(magda)}, "afnemer-0001", "ftps", "FileZilla")
    assert "cannot present a client certificate" in refusal


def test_the_lftp_command_over_sftp_logs_in_as_pasted(mockpartners: SuiteFactory) -> None:
    require("lftp")
    suite = mockpartners("onss", admin=True)
    lftp = _command({"accounts": commands_of(suite["onss"].info())}, "EXP0000001", "sftp", "lftp")
    done = subprocess.run(
        shlex.split(lftp), text=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0 and "IN" in done.stdout, done.stderr


def test_the_curl_commands_of_web_and_mail_partners_work_as_pasted(mockpartners: SuiteFactory) -> None:
    """The XFB gateway's menu (credentials in the query, as its guide writes the address), AIREPPNET's login
    page over verified HTTPS, PECOTO's SMTP and POP3 logged in after STARTTLS: each curl line as the
    cheat-sheet and the dashboard give it."""
    require("curl")
    suite = mockpartners("xfb", "insee-aireppnet", "insee-pecoto")
    pages = {
        ("xfb", "45000001", "gateway"): "45000001",
        ("insee-aireppnet", "96010", "portal"): "identifiant",
        ("insee-pecoto", "96010", "smtp"): "250",
        ("insee-pecoto", "96010", "pop3"): "",
    }
    for (partner, username, endpoint), expected in pages.items():
        info = suite[partner].info()
        curl = _command({"accounts": commands_of(info)}, username, endpoint, "curl")
        assert curl in render(suite.info), f"the cheat-sheet has the same line: {curl}"
        done = subprocess.run(
            [*shlex.split(curl), "-sS"], text=True, errors="replace", capture_output=True, timeout=30
        )  # fmt: skip  (the gateway speaks Latin-1)
        assert done.returncode == 0, (curl, done.stderr)
        assert expected in done.stdout, (curl, done.stdout)
    assert info.endpoints["smtp"].url().startswith("smtp://")
    assert suite["insee-aireppnet"].info().endpoints["portal"].url().startswith("https://")
