"""Lucca's client against a real customer SFTP server: OpenSSH's sshd (internal-sftp), started by the test.

The host key is pinned on first use and a different key is then refused before any login; sshd refuses a
key it does not know and every password (root's is locked); a missing folder and a read-only server give
their own reasons.
"""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from mockpartners.outbound import RemoteEntry
from tests.outbound.conftest import Client, Sshd


def test_put_list_get_delete_with_a_key_and_the_host_key_pinned_on_first_use(
    lucca: Client, sshd: Sshd, tmp_path: Path
) -> None:
    exports = sshd.home / "exports"
    local = tmp_path / "users.csv"
    local.write_bytes(b"id;name\n1;Ada\n")
    with lucca.connect(sshd.server()) as remote:
        assert remote.put(b"absences\n", f"{exports}/absences.csv") == 9
        assert remote.put(local, f"{exports}/users.csv") == 14
        assert remote.list(str(exports)) == [
            RemoteEntry("absences.csv", 9, folder=False),
            RemoteEntry("users.csv", 14, folder=False),
        ]
        assert remote.exists(str(exports)) and not remote.exists(str(sshd.home / "nothing"))
        assert remote.get(f"{exports}/absences.csv") == b"absences\n"
        assert remote.get_file(f"{exports}/users.csv", tmp_path / "copy.csv") == 14
        remote.delete(f"{exports}/absences.csv")
        remote.delete(f"{exports}/users.csv")
    assert (tmp_path / "copy.csv").read_bytes() == local.read_bytes()
    assert list(exports.iterdir()) == []

    kinds = [kind for kind, outcome in lucca.steps.kinds() if outcome == "ok"]
    assert kinds == [
        "outbound.connect",
        "outbound.auth",
        *["outbound.put"] * 2,
        "outbound.list",
        *["outbound.exists"] * 2,
        *["outbound.get"] * 2,
        *["outbound.delete"] * 2,
        "outbound.disconnect",
    ]
    connected = lucca.steps.events("outbound.connect")[0]
    fingerprint = sshd.host_key.get_fingerprint("sha256")
    assert connected.detail["host_key"] == fingerprint
    assert connected.detail["trust"].startswith("first use")
    assert lucca.steps.events("outbound.auth")[0].detail["method"] == "publickey"
    put = lucca.steps.events("outbound.put")[0]
    assert (put.path, put.detail["size"], put.detail["upload"]) == (f"{exports}/absences.csv", 9, "direct")
    assert {event.detail["connection"] for event in lucca.steps.events()} == {connected.detail["connection"]}
    assert lucca.known_hosts.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")

    with lucca.connect(sshd.server()):  # the pinned key again: trusted without a question
        pass
    assert lucca.steps.events("outbound.connect")[-1].detail["trust"] == "known_hosts"


def test_a_temporary_upload_is_renamed_into_place(lucca: Client, sshd: Sshd) -> None:
    target = sshd.home / "imports" / "payroll.csv"
    target.write_bytes(b"older\n")
    with lucca.connect(sshd.server(upload="temporary")) as remote:
        remote.put(b"newer\n", str(target))
    assert target.read_bytes() == b"newer\n"  # OpenSSH's posix-rename replaces the older file
    assert not target.with_name("payroll.csv.tmp").exists()
    assert lucca.steps.events("outbound.put")[0].detail["temporary"] == f"{target}.tmp"
    target.unlink()


def test_a_changed_host_key_is_refused_before_the_login(lucca: Client, sshd: Sshd) -> None:
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    line = impostor.export_public_key().decode().split()
    lucca.known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {line[0]} {line[1]}\n")
    error = lucca.refused(sshd.server())
    assert error.reason == "host-key-changed"
    was, now = impostor.get_fingerprint("sha256"), sshd.host_key.get_fingerprint("sha256")
    assert f"it was {was}, it is now {now}" in str(error)
    assert "ssh-keygen -R '[127.0.0.1]:" in str(error)
    assert lucca.steps.kinds() == [("outbound.connect", "failed")]  # no login was tried

    given = lucca.refused(sshd.server(host_key=" ".join(line)))
    assert given.reason == "host-key-changed" and "give Lucca the new public key (host_key)" in str(given)


def test_the_host_key_given_with_the_server_is_checked(lucca: Client, sshd: Sshd) -> None:
    with lucca.connect(sshd.server(host_key=sshd.host_key.export_public_key().decode())):
        pass
    assert lucca.steps.events("outbound.connect")[0].detail["trust"] == "host_key"
    assert not lucca.known_hosts.exists()


def test_a_key_the_server_does_not_know_and_a_password_are_refused(
    lucca: Client, sshd: Sshd, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(stranger)
    by_key = lucca.refused(sshd.server(private_key=str(stranger)))
    assert by_key.reason == "login-refused" and "by private key" in str(by_key)
    assert lucca.steps.kinds() == [("outbound.connect", "ok"), ("outbound.auth", "failed")]

    by_password = lucca.refused(sshd.server(private_key=None, password="secret"))
    assert by_password.reason == "login-refused" and "'root' by password" in str(by_password)


def test_an_unreadable_private_key_is_said_before_connecting(
    lucca: Client, sshd: Sshd, tmp_path: Path
) -> None:
    error = lucca.refused(sshd.server(private_key=str(tmp_path / "missing_key")))
    assert error.reason == "client-key-unusable" and "missing_key" in str(error)
    assert lucca.steps.kinds() == [("outbound.auth", "failed")]


def test_missing_folders_and_files(lucca: Client, sshd: Sshd) -> None:
    missing = sshd.home / "dossier1" / "dossier2"
    with lucca.connect(sshd.server()) as remote:
        for attempt, path in [
            (lambda: remote.list(str(missing)), str(missing)),
            (lambda: remote.put(b"x", f"{missing}/x.csv"), str(missing)),
        ]:
            with pytest.raises(Exception, match="no such folder") as caught:
                attempt()
            assert caught.value.reason == "folder-missing" and str(caught.value).startswith(path)  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="no such file") as gone:
            remote.get(str(sshd.home / "imports" / "gone.csv"))
        assert gone.value.reason == "file-missing"  # type: ignore[attr-defined]
    failures = [event.detail["reason"] for event in lucca.steps.events() if event.outcome == "failed"]
    assert failures == ["folder-missing", "folder-missing", "file-missing"]


def test_a_read_only_server_refuses_writes_and_deletions(lucca: Client, sshd: Sshd) -> None:
    exports = sshd.home / "exports"
    (exports / "kept.csv").write_bytes(b"kept\n")
    with lucca.connect(sshd.server(port=sshd.read_only_port)) as remote:
        assert [entry.name for entry in remote.list(str(exports))] == ["kept.csv"]
        for attempt in (
            lambda: remote.put(b"x", f"{exports}/new.csv"),
            lambda: remote.delete(f"{exports}/kept.csv"),
        ):
            with pytest.raises(Exception, match="Permission denied") as caught:
                attempt()
            assert caught.value.reason == "permission-denied"  # type: ignore[attr-defined]
    assert [(event.kind, event.detail.get("reason")) for event in lucca.steps.events()][-3:] == [
        ("outbound.put", "permission-denied"),
        ("outbound.delete", "permission-denied"),
        ("outbound.disconnect", None),
    ]
    (exports / "kept.csv").unlink()
