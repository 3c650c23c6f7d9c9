"""PECOTO's POP3 endpoint (RFC 1939, CAPA, STLS): the collectivité reads the bureau's answers, the suite
outbox's mails to its address; DELE hides a message for good at QUIT, RETR journals ``mail.read``. Real
clients: poplib, and curl's pop3:// with --ssl-reqd."""

from __future__ import annotations

import poplib
import socket
import subprocess

import pytest

from mockpartners import Partner
from mockpartners.app.pytest_plugin import SuiteFactory
from mockpartners.infra.journal import Query
from tests.clients import require
from tests.insee._pecoto import census_mail, pop3_client, smtp_client, tls_context


def _two_answers(partner: Partner) -> None:
    with smtp_client(partner) as client:
        client.send_message(census_mail(partner, subject="Premier envoi"))
        client.send_message(census_mail(partner, subject="Second envoi", files={}))
    assert partner.outbox is not None
    partner.outbox.wait_for(to="recensement@mairie-96010.example", subject="Rejet")
    partner.outbox.wait_for(to="recensement@mairie-96010.example", subject="Accusé")


def test_login_before_stls_is_refused_and_capa_says_stls(insee_pecoto: Partner) -> None:
    endpoint = insee_pecoto.endpoint("pop3")
    client = poplib.POP3(endpoint.host, endpoint.port, timeout=10)
    assert client.getwelcome().startswith(b"+OK pop.pecoto.insee.example")
    capabilities = client.capa()
    assert "STLS" in capabilities and "USER" not in capabilities and "UIDL" in capabilities
    with pytest.raises(poplib.error_proto, match="Plaintext authentication disallowed"):
        client.user("96010")
    client.stls(context=tls_context(insee_pecoto))
    assert "USER" in client.capa() and "STLS" not in client.capa()
    client.user("96010")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\] Authentication failed"):
        client.pass_("wrong")
    client.quit()
    attempt = insee_pecoto.journal.wait_for(Query(kind="auth.attempt", outcome="refused"))
    assert attempt.protocol == "pop3" and attempt.detail["reason"] == "wrong password"


def test_list_uidl_top_retr_dele_rset_on_the_mailbox(insee_pecoto: Partner) -> None:
    _two_answers(insee_pecoto)
    client = pop3_client(insee_pecoto)
    assert client.stat()[0] == 2
    _, listing, _ = client.list()
    assert [line.split()[0] for line in listing] == [b"1", b"2"]
    _, uids, _ = client.uidl()
    assert len({line.split()[1] for line in uids}) == 2
    _, head, _ = client.top(1, 0)
    assert b"" in head and any(line.startswith(b"Subject:") for line in head)
    _, lines, _ = client.retr(2)
    assert any(line.startswith(b"In-Reply-To: <") for line in lines), lines
    client.dele(1)
    assert client.stat()[0] == 1
    with pytest.raises(poplib.error_proto, match="no message 1"):
        client.retr(1)
    client.rset()
    assert client.stat()[0] == 2
    client.dele(1)
    client.quit()
    deleted = insee_pecoto.journal.wait_for(Query(kind="mail.deleted"))
    assert deleted.detail["mailbox"] == "recensement@mairie-96010.example"
    read = insee_pecoto.journal.wait_for(Query(kind="mail.read"))
    assert read.detail["reader"] == "96010"
    again = pop3_client(insee_pecoto)
    assert again.stat()[0] == 1
    again.quit()
    assert insee_pecoto.outbox is not None and len(insee_pecoto.outbox.messages()) == 2  # still there


def test_each_collectivite_reads_only_its_own_mailbox(insee_pecoto: Partner) -> None:
    _two_answers(insee_pecoto)
    other = pop3_client(insee_pecoto, "75056")
    assert other.stat() == (0, 0)
    other.quit()


def test_a_connection_closed_without_quit_deletes_nothing(insee_pecoto: Partner) -> None:
    _two_answers(insee_pecoto)
    client = pop3_client(insee_pecoto)
    client.dele(1)
    client.close()
    insee_pecoto.journal.wait_for(Query(kind="session.disconnect", account="96010"))
    assert pop3_client(insee_pecoto).stat()[0] == 2


def test_curl_lists_and_retrieves_over_stls(insee_pecoto: Partner) -> None:
    _two_answers(insee_pecoto)
    endpoint = insee_pecoto.endpoint("pop3")
    assert endpoint.tls is not None
    base = [require("curl"), "-sS", "--ssl-reqd", "--cacert", endpoint.tls.ca_file,
            "--user", f"96010:{insee_pecoto.account('96010').password}"]  # fmt: skip
    url = f"pop3://{endpoint.host}:{endpoint.port}"
    listing = subprocess.run([*base, url + "/"], capture_output=True, text=True, timeout=30)
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()] == ["1", "2"]
    fetched = subprocess.run([*base, url + "/1"], capture_output=True, text=True, timeout=30)
    assert fetched.returncode == 0 and "Delivered-To: recensement@mairie-96010.example" in fetched.stdout


def test_a_command_line_too_long_closes_the_connection(insee_pecoto: Partner) -> None:
    endpoint = insee_pecoto.endpoint("pop3")
    with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as raw:
        stream = raw.makefile("rwb")
        assert stream.readline().startswith(b"+OK")
        stream.write(b"USER " + b"x" * 400 + b"\r\n")
        stream.flush()
        assert stream.readline().startswith(b"-ERR")
        assert stream.readline() == b""


def test_connections_beyond_the_per_address_limit_are_refused(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("insee-pecoto", settings=["insee-pecoto.limits.connections_per_address=1"])
    partner = suite.partners["insee-pecoto"]
    endpoint = partner.endpoint("pop3")
    first = poplib.POP3(endpoint.host, endpoint.port, timeout=10)
    with pytest.raises(poplib.error_proto, match=r"SYS/TEMP"):
        poplib.POP3(endpoint.host, endpoint.port, timeout=10)
    with socket.create_connection((endpoint.host, endpoint.port), 10, ("127.0.0.2", 0)) as other:
        assert other.recv(100).startswith(b"+OK")
    first.quit()
    partner.journal.wait_for(Query(kind="session.refused"))


def test_an_idle_client_is_disconnected(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("insee-pecoto", settings=["insee-pecoto.endpoints.pop3.idle_timeout=1s"])
    partner = suite.partners["insee-pecoto"]
    endpoint = partner.endpoint("pop3")
    with socket.create_connection((endpoint.host, endpoint.port), timeout=10) as raw:
        stream = raw.makefile("rb")
        assert stream.readline().startswith(b"+OK")
        assert stream.readline().startswith(b"-ERR [SYS/TEMP] Disconnected for inactivity")
    partner.journal.wait_for(Query(kind="pop3.timeout"))
