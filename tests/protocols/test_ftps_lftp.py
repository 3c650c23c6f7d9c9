"""The MAGDA double driven by lftp with the exact settings of MAGDA's page."""

from __future__ import annotations

from pathlib import Path

from mockpartners import Partner
from tests.clients import Certificate, lftp_ftps


def test_ls_with_the_pages_settings(magda: Partner) -> None:
    account = magda.account()
    result = lftp_ftps(magda.endpoint(), account.username, "ls", certificate=Certificate.of(account))
    assert result.returncode == 0, result.stderr
    assert {line.split()[-1] for line in result.stdout.splitlines()} == {
        "cache",
        "from_vip",
        "publiek",
        "to_vip",
    }
    assert magda.journal.wait_for(kind="auth.attempt").detail["certificate_cn"] == account.username


def test_upload_in_a_subfolder_then_move_and_fetch_the_answer(magda: Partner, tmp_path: Path) -> None:
    account = magda.account()
    request = tmp_path / "VRAAG.0002.xml"
    request.write_text("<Vraag/>\n")
    commands = f"""
cd to_vip
mkdir -p upload
put {request} -o upload/{request.name}
mv upload/{request.name} {request.name}
"""
    uploaded = lftp_ftps(magda.endpoint(), account.username, commands, certificate=Certificate.of(account))
    assert uploaded.returncode == 0, uploaded.stderr
    answer = magda.wait_for_answer(f"to_vip/{request.name}").detail["answer"]

    fetch = f"get {answer} -o {tmp_path}/answer.xml\nrm {answer}\n"
    fetched = lftp_ftps(magda.endpoint(), account.username, fetch, certificate=Certificate.of(account))
    assert fetched.returncode == 0, fetched.stderr
    assert "<Status>VERWERKT</Status>" in (tmp_path / "answer.xml").read_text()
    assert magda.files(account.username).list("from_vip") == []
    assert magda.files(account.username).list("cache/to_vip") == [request.name]


def test_temporary_name_then_rename(magda: Partner, tmp_path: Path) -> None:
    account = magda.account()
    request = tmp_path / "VRAAG.0003.xml"
    request.write_text("<Vraag/>\n")
    commands = (
        f"put {request} -o to_vip/{request.name}.tmp\nmv to_vip/{request.name}.tmp to_vip/{request.name}\n"
    )
    result = lftp_ftps(magda.endpoint(), account.username, commands, certificate=Certificate.of(account))
    assert result.returncode == 0, result.stderr
    assert magda.wait_for_answer(f"to_vip/{request.name}").kind == "partner.answer"
    assert magda.journal.events(kind="partner.violation") == []


def test_no_certificate_fails(magda: Partner) -> None:
    result = lftp_ftps(magda.endpoint(), "afnemer-0001", "ls")
    assert result.returncode != 0
    assert (
        magda.journal.wait_for(kind="session.tls", outcome="refused").detail["reason"]
        == "no client certificate"
    )


def test_bound_to_another_loopback_address(magda: Partner) -> None:
    second = magda.account("afnemer-0002")
    allowed = lftp_ftps(
        magda.endpoint(), second.username, "ls", certificate=Certificate.of(second), source="127.0.0.2"
    )
    assert allowed.returncode == 0, allowed.stderr
    login = magda.journal.wait_for(kind="session.login")
    assert login.client is not None and login.client.startswith("127.0.0.2:")
    refused = lftp_ftps(
        magda.endpoint(), second.username, "ls", certificate=Certificate.of(second), source="127.0.0.5"
    )
    assert refused.returncode != 0
    assert magda.journal.wait_for(kind="session.refused").client.startswith("127.0.0.5:")  # type: ignore[union-attr]


def test_session_reuse_required_and_lftps_ssl_copy_sid(magda: Partner) -> None:
    """lftp (4.9) sets ftp:ssl-copy-sid by default, as the page's proxy settings do."""
    account = magda.account()
    copied = lftp_ftps(magda.endpoint(), account.username, "ls", certificate=Certificate.of(account))
    assert copied.returncode == 0, copied.stderr
    fresh = lftp_ftps(
        magda.endpoint(),
        account.username,
        "ls",
        certificate=Certificate.of(account),
        settings=["set ftp:ssl-copy-sid false"],
    )
    assert fresh.returncode != 0
    assert "522 SSL connection failed: session reuse required" in fresh.stderr
