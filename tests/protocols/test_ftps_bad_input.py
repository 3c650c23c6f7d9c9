"""Hostile or broken FTPS clients: clear replies, nothing escapes the home, the server keeps serving."""

from __future__ import annotations

import ftplib
import io
from pathlib import Path

import pytest

from mockpartners import Partner
from tests.clients import ftplib_login


def _reply(client: ftplib.FTP_TLS, command: str) -> str:
    try:
        return client.sendcmd(command)
    except ftplib.all_errors as error:
        return str(error)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("FOO bar", "500"),
        ("STOR", "501"),
        ("MKD to_vip/" + "x" * 300, "553 File name not allowed: file name too long"),
        ("DELE to_vip/a\x1bb", "553 File name not allowed: file name contains control characters"),
        ("RETR /etc/passwd", "550"),
        ("SIZE ../../../../etc/passwd", "550"),
    ],
)
def test_malformed_and_hostile_commands_get_clear_replies(
    magda: Partner, command: str, expected: str
) -> None:
    with ftplib_login(magda) as client:
        assert _reply(client, command).startswith(expected)
        assert sorted(client.nlst()) == ["cache", "from_vip", "publiek", "to_vip"]  # still serving


def test_an_overlong_command_line_is_refused(magda: Partner) -> None:
    client = ftplib_login(magda)
    assert _reply(client, "X" * 3000).startswith("500 Command too long")
    client.close()  # the rest of the line is answered as another command: this client is out of step
    with ftplib_login(magda) as client:
        assert client.nlst()


def test_parent_paths_stop_at_the_home(magda: Partner) -> None:
    with ftplib_login(magda) as client:
        client.cwd("../../../..")
        assert client.pwd() == "/"
        assert "to_vip" in client.nlst()


def test_symlinks_planted_in_a_home_do_not_lead_out(magda: Partner, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for clients")
    (Path(magda.account().home) / "from_vip" / "escape").symlink_to(tmp_path)
    with ftplib_login(magda) as client:
        with pytest.raises(ftplib.error_perm, match="550"):
            client.retrbinary("RETR from_vip/escape/secret.txt", io.BytesIO().write)
        with pytest.raises(ftplib.error_perm, match="550"):
            client.cwd("from_vip/escape")


def test_one_account_never_sees_another(magda: Partner) -> None:
    magda.publish("from_vip/FOR-0002.xml", "<private/>", account="afnemer-0002")
    with ftplib_login(magda) as client:
        assert client.nlst("from_vip") == []
        with pytest.raises(ftplib.error_perm, match="550"):
            client.retrbinary("RETR ../afnemer-0002/from_vip/FOR-0002.xml", io.BytesIO().write)


def test_binary_junk_before_tls_does_not_hurt_other_clients(magda: Partner) -> None:
    endpoint = magda.endpoint()
    with ftplib.FTP() as junk:
        junk.connect(endpoint.host, endpoint.port, timeout=10)
        junk.sock.sendall(b"\x00\xff\xfe garbage \x16\x03\x01\r\n")  # type: ignore[union-attr]
        with pytest.raises(ftplib.error_perm, match="500"):
            junk.getresp()
    with ftplib_login(magda) as client:
        assert client.nlst()
