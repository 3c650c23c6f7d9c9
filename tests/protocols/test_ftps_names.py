"""Names on the wire and what the server announces.

FTP names are UTF-8 here (FEAT says UTF8): a name in another encoding is refused with 553 and the reason
(pyftpdlib stored it with replacement characters, a name the client could never reach again), as the SFTP
double refuses it. FEAT announces only what the server does: no EPRT, since active mode is refused.
"""

from __future__ import annotations

import ftplib
import io

import pytest

from mockpartners import Partner
from tests.clients import Certificate, ftplib_login, ftplib_tls

NOT_UTF8 = "553 File name not allowed: file name is not valid UTF-8."


def _login(magda: Partner, encoding: str = "utf-8") -> ftplib.FTP_TLS:
    client = ftplib_login(magda)
    client.encoding = encoding  # what ftplib encodes command lines with
    return client


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("STOR to_vip/café.xml.tmp", "fs.open"),
        ("MKD to_vip/café", "fs.mkdir"),
        ("DELE from_vip/café.xml", "fs.remove"),
        ("RNFR from_vip/café.xml", "fs.rename"),
        ("CWD café", "fs.cwd"),
    ],
)
def test_a_latin_1_name_is_refused_with_the_reason(magda: Partner, command: str, kind: str) -> None:
    with _login(magda, encoding="latin-1") as client:
        with pytest.raises(ftplib.error_perm) as refused:
            _send(client, command)
        assert str(refused.value) == NOT_UTF8
        assert sorted(client.nlst()) == ["cache", "from_vip", "publiek", "to_vip"]  # still serving
    assert magda.files("afnemer-0001").list("to_vip") == []
    event = magda.journal.wait_for(kind=kind, outcome="refused")
    assert (event.detail["reply"], event.detail["reason"]) == (553, "file name is not valid UTF-8")
    assert event.path is not None and "caf\ufffd" in event.path  # the journal shows where the bytes were


def _send(client: ftplib.FTP_TLS, command: str) -> str:
    if command.startswith("STOR"):
        return client.storbinary(command, io.BytesIO(b"<Vraag/>"))
    return client.sendcmd(command)


def test_a_utf_8_name_round_trips(magda: Partner) -> None:
    with _login(magda) as client:
        client.storbinary("STOR from_vip/café.xml", io.BytesIO(b"<x/>"))
        assert client.nlst("from_vip") == ["café.xml"]
        received = io.BytesIO()
        client.retrbinary("RETR from_vip/café.xml", received.write)
        assert received.getvalue() == b"<x/>"
    assert magda.files("afnemer-0001").list("from_vip") == ["café.xml"]


def test_a_latin_1_user_name_gets_a_501(magda: Partner) -> None:
    client = ftplib_tls(magda.endpoint(), Certificate.of(magda.account()))
    with client:
        client.auth()
        client.encoding = "latin-1"
        with pytest.raises(ftplib.error_perm, match=r"^501 Can't decode command"):
            client.sendcmd("USER afnemer-é")


def test_feat_announces_only_what_the_server_does(magda: Partner) -> None:
    with _login(magda) as client:
        features = {line.strip() for line in client.sendcmd("FEAT").splitlines()[1:-1]}
        assert {"EPSV", "MFMT", "UTF8", "PBSZ", "PROT", "AUTH TLS"} <= features
        assert "EPRT" not in features
        for command in ("EPRT |1|127.0.0.1|40001|", "PORT 127,0,0,1,156,65"):
            with pytest.raises(ftplib.error_perm, match=r"^502 Active mode is not supported"):
                client.sendcmd(command)
        assert "EPRT" not in client.sendcmd("HELP")
