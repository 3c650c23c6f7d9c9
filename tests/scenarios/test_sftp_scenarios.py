"""ONSS scenarios: each error of the guide, switched on, seen by a real client, then switched off."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from mockpartners import Partner
from tests.clients import Askpass, paramiko_sftp, sftp_batch


def _works(onss: Partner) -> None:
    account = onss.account()
    result = sftp_batch(onss.endpoint(), account.username, "ls\n", key=account.private_key)
    assert result.returncode == 0, result.stderr


def test_port_closed_means_connection_refused(onss: Partner) -> None:
    account = onss.account()
    with onss.scenarios("port-closed"):
        result = sftp_batch(onss.endpoint(), account.username, "ls\n", key=account.private_key)
        assert result.returncode != 0
        assert "Connection refused" in result.stderr
    _works(onss)
    assert [event.kind for event in onss.journal.events(kind="scenario.*")] == ["scenario.on", "scenario.off"]


def test_firewall_drop_means_a_silent_timeout(onss: Partner) -> None:
    account = onss.account()
    with onss.scenarios("firewall-drop"):
        result = sftp_batch(
            onss.endpoint(),
            account.username,
            "ls\n",
            key=account.private_key,
            options=["-o", "ConnectTimeout=2"],
        )
        assert result.returncode != 0
        assert "timed out" in result.stderr
    _works(onss)


def test_host_key_changed(onss: Partner) -> None:
    account = onss.account()
    with onss.scenarios("host-key-changed"):
        result = sftp_batch(onss.endpoint(), account.username, "ls\n", key=account.private_key)
        assert result.returncode != 0
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr
    _works(onss)


def test_refuse_keys_refuses_the_right_key(onss: Partner) -> None:
    account = onss.account()
    with onss.scenarios("refuse-keys"), pytest.raises(paramiko.AuthenticationException):
        paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    refused = onss.journal.wait_for(kind="auth.attempt", outcome="refused")
    assert "Server refused our key" in refused.detail["reason"]
    transport, _ = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    transport.close()


def test_no_publickey_gives_a_password_prompt_without_key_refusal(onss: Partner, tmp_path: Path) -> None:
    account = onss.account()
    askpass = Askpass.create(tmp_path, "whatever")
    with onss.scenarios("no-publickey"):
        result = sftp_batch(
            onss.endpoint(),
            account.username,
            "ls\n",
            key=account.private_key,
            askpass=askpass,
            options=["-v", "-o", "NumberOfPasswordPrompts=1"],
        )
        assert result.returncode != 0
        assert "Offering public key" not in result.stderr
        assert any("password" in prompt.lower() for prompt in askpass.prompts)
    _works(onss)


def test_rename_and_setstat_refusals_can_be_switched_off(onss: Partner, request_file: Path) -> None:
    account = onss.account()
    assert onss.scenarios.info("rename-refused").active and onss.scenarios.info("rename-refused").by_profile
    with onss.scenarios("rename-refused"):
        pass  # already on: the profile says so, and it stays on afterwards
    assert onss.scenarios.active("rename-refused") is not None
    onss.scenarios.off("rename-refused")
    onss.scenarios.off("setstat-refused")
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.put(str(request_file), "IN/A.filepart", confirm=False)
        sftp.rename("IN/A.filepart", "IN/A.xml")
        sftp.utime("IN/A.xml", (1_700_000_000, 1_700_000_000))
        onss.scenarios.on("rename-refused")
        with pytest.raises(PermissionError):
            sftp.rename("IN/A.xml", "IN/B.xml")
    assert onss.wait_for_answer("IN/A.xml").kind == "partner.answer"


def test_answers_late(onss: Partner, request_file: Path) -> None:
    onss.clock.freeze()
    account = onss.account()
    with onss.scenarios("answers-late", delay="2h"):
        result = sftp_batch(
            onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
        )
        assert result.returncode == 0, result.stderr
        onss.wait_until_idle()
        assert onss.journal.events(kind="partner.answer") == []
        onss.clock.advance("2h")
        assert onss.wait_for_answer(f"IN/{request_file.name}").kind == "partner.answer"


def test_reject_requests(onss: Partner, request_file: Path) -> None:
    account = onss.account()
    with onss.scenarios("reject-requests", reason="rejected: unknown employer"):
        sftp_batch(onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key)
        rejection = onss.wait_for_answer(f"IN/{request_file.name}")
    assert rejection.kind == "partner.reject"
    assert "rejected: unknown employer" in onss.files().read(rejection.detail["answer"]).decode()
    request_file.write_text("<dmfa>again</dmfa>")
    sftp_batch(onss.endpoint(), account.username, f"put {request_file} INTEST/\n", key=account.private_key)
    assert onss.wait_for_answer(f"INTEST/{request_file.name}").kind == "partner.answer"


def test_unknown_scenario_and_bad_parameters_are_clear_errors(onss: Partner) -> None:
    from mockpartners.model.errors import UnknownScenarioError, UsageError

    with pytest.raises(UnknownScenarioError, match="onss has no scenario 'prot-c-refused'; it has: "):
        onss.scenarios.on("prot-c-refused")
    with pytest.raises(UsageError, match="scenario latency: ms: expected int, got 'fast'"):
        onss.scenarios.on("latency", ms="fast")
    with pytest.raises(UsageError, match="unknown parameter"):
        onss.scenarios.on("latency", seconds=1)


def test_every_scenario_is_documented() -> None:
    from mockpartners.scenarios import CATALOG

    documented = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text()
    assert [name for name in CATALOG if f"| `{name}` |" not in documented] == []
