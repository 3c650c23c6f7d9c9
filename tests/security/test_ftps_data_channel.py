"""Attacks on MAGDA's data channel from loopback: whoever connects to the announced passive port first.

Another process on the client's machine (same address) or another machine (another 127.0.0.x) races the
client to the port PASV announced. Nothing of the file may reach it, and the client's own transfer must
either proceed or be refused with a reply to its own command, never with a reply it did not ask for.
"""

from __future__ import annotations

import contextlib
import ftplib
import io
import socket
import ssl

import pytest

from mockpartners import Partner
from tests.clients import ftplib_login

BIG = b"<Publicatie/>\n" * 100_000  # 1.4 MB: far more than one send


def _drained(connection: socket.socket) -> int:
    """Bytes the intruder receives until the server closes (or resets) its connection."""
    received = 0
    with contextlib.suppress(ConnectionResetError):
        while chunk := connection.recv(65536):
            received += len(chunk)
    return received


def _tls_intruder(host: str, port: int) -> ssl.SSLSocket:
    """A fresh TLS client (no session to resume), as any process on the client's machine can open."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(socket.create_connection((host, port), timeout=10))


def test_a_process_that_connects_first_receives_no_byte_of_the_file(magda: Partner) -> None:
    """The leak: it got 65,536 bytes before the 522 (the file was pushed, then the connection refused)."""
    magda.files("afnemer-0001").drop("from_vip/PUBLICATIE.xml", BIG)
    with ftplib_login(magda) as client:
        host, port = client.makepasv()
        intruder = _tls_intruder(host, port)  # handshake done: it waits for the file
        with pytest.raises(ftplib.error_perm, match=r"^522 SSL connection failed: session reuse required"):
            client.sendcmd("RETR from_vip/PUBLICATIE.xml")  # refused at once: no 125 first
        with intruder:
            assert _drained(intruder) == 0
        assert client.nlst("from_vip") == ["PUBLICATIE.xml"]  # the session goes on
    refused = magda.journal.wait_for(kind="ftp.data", outcome="refused")
    assert refused.detail["reason"] == "SSL connection failed: session reuse required"
    assert magda.journal.events(kind="fs.close", path="from_vip/PUBLICATIE.xml") == []  # never sent


def test_an_upload_over_a_refused_data_connection_leaves_the_file_alone(magda: Partner) -> None:
    """STOR is refused before the file is opened: the existing file is not truncated."""
    files = magda.files("afnemer-0001")
    files.drop("from_vip/KEEP.xml", b"<kept/>")
    with ftplib_login(magda) as client:
        host, port = client.makepasv()
        with _tls_intruder(host, port) as intruder:
            with pytest.raises(ftplib.error_perm, match=r"^522"):
                client.sendcmd("STOR from_vip/KEEP.xml")
            intruder.sendall(b"<overwritten/>")
    assert files.read("from_vip/KEEP.xml") == b"<kept/>"
    refused = magda.journal.wait_for(kind="fs.open", path="from_vip/KEEP.xml")
    assert (refused.outcome, refused.detail["reply"]) == ("refused", 522)


def test_a_plain_tcp_intruder_gets_nothing_before_the_tls_handshake(magda: Partner) -> None:
    """Nothing goes out in clear on a protected data channel: junk instead of a TLS handshake is dropped."""
    with ftplib_login(magda) as client:
        host, port = client.makepasv()
        with socket.create_connection((host, port), timeout=10) as intruder:
            intruder.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert _drained(intruder) == 0
        assert magda.journal.wait_for(kind="ftp.data", outcome="failed")
        assert "to_vip" in client.nlst()  # a new PASV, and the client's own transfer works


def test_a_foreign_address_is_dropped_in_silence_and_the_clients_transfer_proceeds(magda: Partner) -> None:
    """pyftpdlib answered the stranger with an unsolicited 425 on the control connection, which the client
    then read as the reply to its own transfer command."""
    magda.files("afnemer-0001").drop("from_vip/PUBLICATIE.xml", BIG)
    with ftplib_login(magda) as client:
        host, port = client.makepasv()
        with socket.create_connection((host, port), source_address=("127.0.0.2", 0), timeout=10) as stranger:
            assert _drained(stranger) == 0
        refused = magda.journal.wait_for(kind="ftp.data", outcome="refused")
        assert refused.detail["reason"].startswith("data connection from a foreign address 127.0.0.2:")

        client.voidcmd("TYPE I")
        data = socket.create_connection((host, port), timeout=10)  # the same port still waits for us
        assert client.sendcmd("RETR from_vip/PUBLICATIE.xml").startswith("1")  # not a stray 425
        assert isinstance(client.sock, ssl.SSLSocket)
        with client.context.wrap_socket(data, server_hostname=host, session=client.sock.session) as tls:
            received = io.BytesIO()
            while chunk := tls.recv(65536):
                received.write(chunk)
        assert received.getvalue() == BIG
        assert client.voidresp().startswith("226")
