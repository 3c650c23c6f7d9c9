"""Example: contract-test your own ONSS client against the double.

Copy this into your project (with mockpartners installed, its pytest plugin loads by itself) and replace
``send_declaration`` with your client code. Each test gets a fresh ONSS double on a free port.
"""

from __future__ import annotations

from pathlib import Path

import paramiko

from mockpartners import Partner


def send_declaration(host: str, port: int, username: str, key_file: Path, declaration: Path) -> None:
    """Stands for your client: upload one file to IN, as the ONSS guide (section 3.1) says."""
    transport = paramiko.Transport((host, port))
    transport.connect(username=username, pkey=paramiko.PKey.from_path(key_file))
    with transport, paramiko.SFTPClient.from_transport(transport) as sftp:  # type: ignore[union-attr]
        sftp.put(str(declaration), f"IN/{declaration.name}", confirm=False)


def fetch_answers(host: str, port: int, username: str, key_file: Path, into: Path) -> list[Path]:
    """Stands for your client: download every answer from OUT, then delete it (guide section 3.2)."""
    transport = paramiko.Transport((host, port))
    transport.connect(username=username, pkey=paramiko.PKey.from_path(key_file))
    fetched = []
    with transport, paramiko.SFTPClient.from_transport(transport) as sftp:  # type: ignore[union-attr]
        for name in sftp.listdir("OUT"):
            sftp.get(f"OUT/{name}", str(into / name))
            sftp.remove(f"OUT/{name}")
            fetched.append(into / name)
    return fetched


def test_declaration_is_acknowledged(onss: Partner, tmp_path: Path) -> None:
    endpoint, account = onss.endpoint(), onss.account("EXP0000001")
    declaration = tmp_path / "DMFA.123456.xml"
    declaration.write_text("<dmfa/>")

    send_declaration(endpoint.host, endpoint.port, account.username, account.private_key, declaration)
    onss.wait_for_answer("IN/DMFA.123456.xml")  # waits on the journal, no sleep

    (answer,) = fetch_answers(endpoint.host, endpoint.port, account.username, account.private_key, tmp_path)
    assert "status: ACCEPTED" in answer.read_text()
    assert onss.files(account.username).list("OUT") == []  # the client cleaned up, as ONSS asks
