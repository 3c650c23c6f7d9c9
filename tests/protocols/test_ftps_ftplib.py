"""The MAGDA double driven by Python's ftplib.FTP_TLS with a client certificate."""

from __future__ import annotations

import ftplib
import io
import socket
import ssl
import subprocess
from collections.abc import Callable

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.clients import Certificate, ftplib_login, ftplib_tls, require

REQUEST = b'<?xml version="1.0"?><Vraag/>\n'


def test_explicit_tls_login_and_listing(magda: Partner) -> None:
    with ftplib_login(magda) as client:
        assert sorted(client.nlst()) == ["cache", "from_vip", "publiek", "to_vip"]
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")  # type: ignore[union-attr]
    tls = magda.journal.wait_for(kind="session.tls")
    assert tls.detail["client_certificate"] == "afnemer-0001"


def test_login_before_auth_tls_is_refused(magda: Partner) -> None:
    endpoint = magda.endpoint()
    with ftplib.FTP() as plain:
        plain.connect(endpoint.host, endpoint.port, timeout=10)
        with pytest.raises(ftplib.error_perm, match="550 SSL/TLS required on the control channel"):
            plain.login("afnemer-0001", "secret")
    assert magda.journal.wait_for(kind="ftp.command", outcome="refused").detail["command"] == "USER"


def test_tls_1_1_fails_the_handshake(magda: Partner) -> None:
    client = ftplib_tls(magda.endpoint(), Certificate.of(magda.account()), tls_version=ssl.TLSVersion.TLSv1_1)
    with pytest.raises(ssl.SSLError):
        client.auth()
    client.close()
    refused = magda.journal.wait_for(kind="session.tls", outcome="refused")
    assert refused.detail["reason"] == "TLS version below the partner's minimum"


def test_tls_1_1_fails_with_openssl_s_client(magda: Partner) -> None:
    endpoint = magda.endpoint()
    result = subprocess.run(
        [
            require("openssl"),
            "s_client",
            "-connect",
            f"{endpoint.host}:{endpoint.port}",
            "-starttls",
            "ftp",
            "-tls1_1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "alert protocol version" in result.stderr or "unsupported protocol" in result.stderr
    good = subprocess.run(
        [
            require("openssl"),
            "s_client",
            "-connect",
            f"{endpoint.host}:{endpoint.port}",
            "-starttls",
            "ftp",
            "-CAfile",
            endpoint.tls.ca_file,
            "-showcerts",
        ],  # type: ignore[union-attr]
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Verify return code: 0 (ok)" in good.stdout
    assert good.stdout.count("-----BEGIN CERTIFICATE-----") == 2  # server, then the issuing CA
    assert "Issuing CA 2 2020" in good.stdout


def test_transfers_need_prot_p(magda: Partner) -> None:
    client = ftplib_tls(magda.endpoint(), Certificate.of(magda.account()))
    with client:
        client.login("afnemer-0001", "")
        with pytest.raises(ftplib.error_perm, match="522 SSL/TLS required on the data channel"):
            client.nlst()
        client.voidcmd("PBSZ 0")
        client.voidcmd("PROT C")
        with pytest.raises(ftplib.error_perm, match="522"):
            client.storbinary("STOR to_vip/A.xml", io.BytesIO(REQUEST))
        client.prot_p()
        assert "to_vip" in client.nlst()
    refusals = magda.journal.events(outcome="refused", kind=["fs.list", "fs.open"])
    assert [event.detail["reply"] for event in refusals] == [522, 522]


def test_active_mode_is_refused(magda: Partner) -> None:
    with ftplib_login(magda) as client:
        client.set_pasv(False)
        with pytest.raises(ftplib.error_perm, match="502 Active mode is not supported"):
            client.nlst()
        client.set_pasv(True)
        host, port = client.makepasv()
        assert host == "127.0.0.1" and 40000 <= port <= 42000


def test_direct_upload_under_the_final_name_is_a_violation(magda: Partner) -> None:
    with ftplib_login(magda) as client:
        client.storbinary("STOR to_vip/DIRECT.xml", io.BytesIO(REQUEST))
    violation = magda.journal.wait_for(kind="partner.violation", path="to_vip/DIRECT.xml")
    assert violation.detail["rule"] == "atomic-upload" and violation.detail["taken_now"] is False
    assert magda.wait_for_answer("to_vip/DIRECT.xml").detail["decision"] == "accepted"


def test_harsh_mode_takes_a_direct_upload_while_it_is_written(mockpartners: SuiteFactory) -> None:
    magda = mockpartners("magda", settings=["magda.pickup.direct_uploads=harsh"])["magda"]
    with ftplib_login(magda) as client:
        connection = client.transfercmd("STOR to_vip/DIRECT.xml")
        magda.journal.wait_for(kind="partner.violation", path="to_vip/DIRECT.xml")
        answer = magda.wait_for_answer("to_vip/DIRECT.xml")  # taken before the upload ended
        connection.sendall(REQUEST)
        connection.unwrap().close()  # type: ignore[attr-defined]
        client.voidresp()
    assert answer.kind == "partner.reject" and answer.detail["decision"] == "invalid"
    files = magda.files("afnemer-0001")
    assert "<Status>ONGELDIG</Status>" in files.read(answer.detail["answer"]).decode()
    magda.wait_until_idle()
    assert len(magda.journal.events(kind=["partner.answer", "partner.reject"])) == 1


def test_safe_strategy_upload_into_a_subfolder_then_move(magda: Partner) -> None:
    with ftplib_login(magda) as client:
        client.mkd("to_vip/upload")
        client.storbinary("STOR to_vip/upload/MOVED.xml", io.BytesIO(REQUEST))
        client.rename("to_vip/upload/MOVED.xml", "to_vip/MOVED.xml")
    answer = magda.wait_for_answer("to_vip/MOVED.xml")
    assert answer.detail["answer"] == "from_vip/MOVED.antwoord.xml"
    assert magda.journal.events(kind="partner.violation") == []


def test_interrupted_upload_is_incomplete_and_never_processed(magda: Partner) -> None:
    """The client vanishes mid-transfer: the TLS data channel ends without close_notify."""
    with ftplib_login(magda) as client:
        connection = client.transfercmd("STOR to_vip/CUT.xml")
        connection.sendall(REQUEST[:10])
        raw = socket.socket(fileno=connection.detach())  # type: ignore[attr-defined]
        raw.close()  # no TLS close_notify: a truncated transfer
        with pytest.raises(ftplib.error_temp, match="426"):
            client.voidresp()
        assert sorted(client.nlst()) == ["cache", "from_vip", "publiek", "to_vip"]  # the session goes on
    closed = magda.journal.wait_for(kind="fs.close", path="to_vip/CUT.xml")
    assert closed.detail["complete"] is False and "close_notify" in closed.detail["reason"]
    assert magda.journal.wait_for(kind="partner.incomplete", path="to_vip/CUT.xml").ref == closed.id
    magda.wait_until_idle()
    assert magda.journal.events(kind=["partner.answer", "partner.reject"]) == []


@pytest.mark.parametrize(
    ("command", "refused"),
    [
        ("STOR cache/to_vip/X.xml", True),
        ("STOR publiek/X.xml", True),
        ("MKD NEW", True),
        ("STOR from_vip/X.xml", False),
        ("STOR cache/from_vip/X.xml", False),
        ("STOR X.xml", True),
    ],
)
def test_folder_rights_follow_the_table(magda: Partner, command: str, refused: bool) -> None:
    with ftplib_login(magda) as client:
        verb, path = command.split(" ", 1)
        reply = _reply(
            lambda: (
                client.sendcmd(f"MKD {path}")
                if verb == "MKD"
                else client.storbinary(command, io.BytesIO(b"x"))
            )
        )
        assert reply.startswith("550") if refused else reply.startswith(("2", "1")), reply


def _reply(command: Callable[[], str]) -> str:
    """The server's reply to a command, refusals included."""
    try:
        return command()
    except ftplib.error_perm as error:
        return str(error)


def test_fetch_then_move_to_cache_from_vip_then_delete(magda: Partner) -> None:
    """The page's advice: fetch from from_vip, optionally move to cache/from_vip, then remove."""
    magda.publish("from_vip/PRIVATE.xml", "<extract/>", account="afnemer-0001")
    with ftplib_login(magda) as client:
        fetched = io.BytesIO()
        client.retrbinary("RETR from_vip/PRIVATE.xml", fetched.write)
        client.rename("from_vip/PRIVATE.xml", "cache/from_vip/PRIVATE.xml")
        client.delete("cache/from_vip/PRIVATE.xml")
        with pytest.raises(ftplib.error_perm, match="550"):
            client.delete("publiek/ANYTHING.xml")
    assert fetched.getvalue() == b"<extract/>"
    assert magda.files("afnemer-0001").list("from_vip") == []


def test_plain_ftplib_does_not_resume_the_tls_session_and_gets_522(magda: Partner) -> None:
    """MAGDA requires TLS session reuse on data connections (like vsftpd); Python's ftplib.FTP_TLS does not
    resume the session: every listing and transfer is refused, and the journal says why."""
    with ftplib_login(magda, reuse_session=False) as client:
        with pytest.raises(ftplib.error_perm, match=r"^522 SSL connection failed: session reuse required"):
            client.nlst()
        client.transfercmd("STOR to_vip/A.xml.tmp").close()  # "150", then the TLS handshake is refused
        with pytest.raises(ftplib.error_perm, match=r"^522"):
            client.voidresp()
        assert client.pwd() == "/"  # the control connection goes on
    refusals = magda.journal.events(kind="ftp.data", outcome="refused")
    reasons = [event.detail["reason"] for event in refusals]
    assert reasons == ["SSL connection failed: session reuse required"] * 2
    upload = magda.journal.wait_for(kind="fs.close", path="to_vip/A.xml.tmp")
    assert upload.detail["complete"] is False and "session reuse required" in upload.detail["reason"]
    with ftplib_login(magda) as client:  # tests.clients.SessionReusingFTP resumes it, as curl and lftp do
        assert "to_vip" in client.nlst()


def test_session_reuse_can_be_left_to_the_client(mockpartners: SuiteFactory) -> None:
    magda = mockpartners("magda", settings=["magda.endpoints.ftps.session_reuse_required=false"])["magda"]
    with ftplib_login(magda, reuse_session=False) as client:
        assert "to_vip" in client.nlst()


def test_renewed_server_certificate_under_the_same_root(magda: Partner) -> None:
    before = magda.endpoint().tls
    assert before is not None
    renewed = magda.renew_server_certificate()
    assert renewed.server.sha256 != before.certificate_sha256
    with ftplib_login(magda) as client:  # a client trusting the root notices nothing
        assert client.nlst()
    magda.renew_server_certificate(new_issuing_ca=True)
    with ftplib_login(magda) as client:
        assert client.nlst()
    assert magda.endpoint().tls.issuer == "Issuing CA 2 2020, Vlaamse overheid (mockpartners)"  # type: ignore[union-attr]
    assert len(magda.journal.events(kind="partner.certificate")) == 2


def test_passive_port_range_is_configurable(mockpartners: SuiteFactory) -> None:
    magda = mockpartners("magda", settings=["magda.endpoints.ftps.passive_ports=41000-41004"])["magda"]
    with ftplib_login(magda) as client:
        ports = {client.makepasv()[1] for _ in range(5)}
        assert ports <= set(range(41000, 41005))
        client.sendcmd("EPSV")
        assert "to_vip" in client.nlst()


def test_empty_listings_and_files_never_break_the_data_channels_tls_handshake(magda: Partner) -> None:
    """The server has nothing to send: it must still finish the TLS handshake before closing."""
    magda.files("afnemer-0001").drop("from_vip/EMPTY.xml", b"")
    with ftplib_login(magda) as client:
        for _ in range(50):
            assert client.nlst("cache/to_vip") == []
            received = io.BytesIO()
            client.retrbinary("RETR from_vip/EMPTY.xml", received.write)
            assert received.getvalue() == b""


def test_renewal_shows_in_endpoints_json(magda: Partner) -> None:
    from mockpartners import SuiteInfo

    renewed = magda.renew_server_certificate()
    written = SuiteInfo.load(magda.state.endpoints_path)["magda"].endpoint().tls
    assert written is not None and written.certificate_sha256 == renewed.server.sha256
    assert magda.endpoint().tls.certificate_sha256 == renewed.server.sha256  # type: ignore[union-attr]


def test_stat_with_a_path_lists_over_the_control_connection_in_order(magda: Partner) -> None:
    """STAT sends its listing between "213-" and "213 End": held replies must keep that order."""
    with ftplib_login(magda) as client:
        reply = client.sendcmd("STAT /")
        lines = reply.splitlines()
        assert lines[0].startswith("213-") and lines[-1].startswith("213 ")
        assert sorted(line.split()[-1] for line in lines[1:-1]) == ["cache", "from_vip", "publiek", "to_vip"]
        assert client.pwd() == "/"  # the next reply is this command's own
