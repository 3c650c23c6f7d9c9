"""The ONSS double driven by curl's SFTP support (libssh2), as many schedulers and scripts do."""

from __future__ import annotations

from pathlib import Path

from mockpartners import Partner
from tests.clients import curl_sftp


def test_upload_download_and_delete_the_answer(onss: Partner, request_file: Path, tmp_path: Path) -> None:
    endpoint, account = onss.endpoint(), onss.account()
    uploaded = curl_sftp(endpoint, account, "/IN/", "-T", str(request_file))
    assert uploaded.returncode == 0, uploaded.stderr
    answer = onss.wait_for_answer(f"IN/{request_file.name}").detail["answer"]

    listing = curl_sftp(endpoint, account, "/OUT/", "-l")
    assert listing.stdout.split() == [".", "..", Path(answer).name]

    local = tmp_path / "answer"
    downloaded = curl_sftp(endpoint, account, f"/{answer}", "-o", str(local))
    assert downloaded.returncode == 0, downloaded.stderr
    assert "status: ACCEPTED" in local.read_text()

    deleted = curl_sftp(endpoint, account, "/", "-Q", f"rm /{answer}", "-l")
    assert deleted.returncode == 0, deleted.stderr
    assert onss.files(account.username).list("OUT") == []


def test_passphrase_protected_key(onss: Partner, request_file: Path) -> None:
    account = onss.account(passphrase=True)
    uploaded = curl_sftp(onss.endpoint(), account, "/INTEST/", "-T", str(request_file))
    assert uploaded.returncode == 0, uploaded.stderr
    assert onss.wait_for_answer(f"INTEST/{request_file.name}").detail["answer"].startswith("OUTTEST/")


def test_wrong_key_is_refused(onss: Partner) -> None:
    wrong_key = onss.info().wrong_key
    assert wrong_key is not None
    result = curl_sftp(onss.endpoint(), onss.account(), "/", "-l", key=wrong_key.private_key)
    assert result.returncode == 67, result.stderr  # CURLE_LOGIN_DENIED
    assert onss.journal.wait_for(kind="auth.attempt", outcome="refused").detail["fingerprint"] == (
        wrong_key.fingerprint_sha256
    )


def test_rename_is_refused_with_permission_denied(onss: Partner, request_file: Path) -> None:
    endpoint, account = onss.endpoint(), onss.account()
    name = request_file.name
    uploaded = curl_sftp(endpoint, account, f"/IN/{name}.filepart", "-T", str(request_file))
    assert uploaded.returncode == 0, uploaded.stderr
    renamed = curl_sftp(endpoint, account, "/", "-Q", f"rename /IN/{name}.filepart /IN/{name}", "-l")
    assert renamed.returncode == 21, renamed.stderr  # CURLE_QUOTE_ERROR
    assert "Permission denied" in renamed.stderr
    assert onss.wait_for_answer(f"IN/{name}.filepart").kind == "partner.reject"


def test_pinned_host_key_mismatch_is_detected(onss: Partner) -> None:
    """A client pinning another host key (the real server's, say) must refuse to talk."""
    endpoint, account = onss.endpoint(), onss.account()
    result = curl_sftp(endpoint, account, "/", "-l", "--hostpubsha256", "A" * 43)
    assert result.returncode == 60, result.stderr
