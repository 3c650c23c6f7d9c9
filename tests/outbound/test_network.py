"""What the network and the wrong kind of server look like to Lucca's client: a closed port, a silent one, a
connection closed at once, an SSH server where FTP was expected and the reverse. Every reason it can give is
in docs/partners/lucca-client.md, with what the customer should check."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench._common import free_port
from mockpartners.outbound import REASONS, OutboundError, open_remote
from tests.outbound.conftest import Client, Sshd, VsftpdFactory

TYPES = ["sftp", "ftps", "ftpes"]
DOCS = Path(__file__).parents[2] / "docs" / "partners" / "lucca-client.md"


def _server(kind: str, port: int, **fields: Any) -> Any:
    return Client.server(type=kind, port=port, login="lucca", password="secret", **fields)


@pytest.fixture
def closing_port() -> Iterator[int]:
    """A port whose server closes every connection as soon as it is made."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # shut down: the test is over
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept up
    listener.close()
    thread.join(timeout=5)


@pytest.mark.parametrize("kind", TYPES)
def test_a_closed_port_is_unreachable(lucca: Client, kind: str) -> None:
    error = lucca.refused(_server(kind, free_port()))
    assert error.reason == "unreachable" and "Connection refused" in str(error)
    assert lucca.steps.kinds() == [("outbound.connect", "failed")]


@pytest.mark.parametrize("kind", TYPES)
def test_a_silent_port_times_out(lucca: Client, silent_port: int, kind: str) -> None:
    error = lucca.refused(_server(kind, silent_port, timeout="1s"))
    assert error.reason == "timeout" and "did not answer within 1s" in str(error)


@pytest.mark.parametrize("kind", TYPES)
def test_a_connection_closed_at_once_is_lost(lucca: Client, closing_port: int, kind: str) -> None:
    error = lucca.refused(_server(kind, closing_port))
    assert error.reason == "connection-lost" and "closed the connection while" in str(error)


def test_ftp_on_an_ssh_port_and_sftp_on_an_ftp_port(lucca: Client, sshd: Sshd, vsftpd: VsftpdFactory) -> None:
    for kind in ("ftpes", "ftps"):
        error = lucca.refused(_server(kind, sshd.port, timeout="1s"))
        assert error.reason == "protocol-error" and "is an SSH server (it greets with 'SSH-2.0-" in str(error)
        assert "choose type SFTP" in str(error)
    on_ftpes = lucca.refused(_server("sftp", vsftpd().port))
    assert on_ftpes.reason == "protocol-error" and "is an FTP server (it greets with '220" in str(on_ftpes)
    on_ftps = lucca.refused(_server("sftp", vsftpd(implicit=True).port, timeout="1s"))
    assert on_ftps.reason == "protocol-error" and "FTPS server with TLS from the first byte" in str(on_ftps)


def test_any_function_may_record_the_steps(sshd: Sshd, tmp_path: Path) -> None:
    """``record(kind, *, outcome, **detail)``: the partner passes its journal's ``record``; this is a list."""
    recorded: list[tuple[str, str, dict[str, Any]]] = []

    def record(kind: str, *, outcome: str, **detail: Any) -> None:
        recorded.append((kind, outcome, detail))

    with open_remote(sshd.server(), known_hosts=tmp_path / "known_hosts", record=record) as remote:
        remote.exists("/")
    assert [(kind, outcome) for kind, outcome, _ in recorded] == [
        ("outbound.connect", "ok"),
        ("outbound.auth", "ok"),
        ("outbound.exists", "ok"),
        ("outbound.disconnect", "ok"),
    ]
    exists = recorded[2][2]
    assert exists == {
        "connection": exists["connection"],
        "host": "127.0.0.1",
        "port": sshd.port,
        "type": "sftp",
        "path": "/",
        "exists": True,
    }


def test_every_reason_is_documented_with_what_to_check() -> None:
    page = DOCS.read_text()
    assert [reason for reason in REASONS if f"`{reason}`" not in page] == []


def test_an_unknown_reason_is_a_bug() -> None:
    with pytest.raises(AssertionError):
        OutboundError("it-broke", "something")
