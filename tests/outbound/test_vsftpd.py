"""Lucca's client against a real customer FTPS server: vsftpd with explicit TLS (FTPES) and implicit TLS
(FTPS), TLS sessions reused on data connections (``require_ssl_reuse``, vsftpd's default), started by the
test with a certificate of the customer's own CA.

vsftpd refuses any login but anonymous here, refuses writes when told to, and its certificate can be
expired or issued for another name; an FTPES client on its implicit port and an FTPS client on its explicit
port are told which of the two is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpartners.outbound import OutboundError, RemoteEntry
from tests.outbound.conftest import Client, Pki, VsftpdFactory

IMPLICIT = [pytest.param(False, id="ftpes"), pytest.param(True, id="ftps")]


@pytest.mark.parametrize("implicit", IMPLICIT)
def test_put_list_get_delete(lucca: Client, vsftpd: VsftpdFactory, pki: Pki, implicit: bool) -> None:
    server = vsftpd(implicit=implicit)
    exports = server.root / "exports"
    with lucca.connect(server.server(ca_file=pki.ca_file)) as remote:
        assert remote.put(b"absences\n", f"{exports}/absences.csv") == 9
        (exports / "sub").mkdir()
        assert remote.list(str(exports)) == [
            RemoteEntry("absences.csv", 9, folder=False),
            RemoteEntry("sub", 4096, folder=True),
        ]
        assert remote.exists(str(exports)) and not remote.exists(str(server.root / "nothing"))
        assert remote.get(f"{exports}/absences.csv") == b"absences\n"
        remote.delete(f"{exports}/absences.csv")
    assert not (exports / "absences.csv").exists()
    assert [kind for kind, outcome in lucca.steps.kinds() if outcome == "ok"][:3] == [
        "outbound.connect",
        "outbound.tls",
        "outbound.auth",
    ]
    tls = lucca.steps.events("outbound.tls")[0].detail
    assert tls["version"] in ("TLSv1.2", "TLSv1.3") and tls["certificate"] == pki.good.sha256
    assert tls["subject"].startswith("CN=127.0.0.1,") and tls["issuer"] == "OU=IT,O=Customer"
    if not implicit:
        assert lucca.steps.events("outbound.connect")[0].detail["greeting"].startswith("220")


def test_a_temporary_upload_is_renamed_into_place(lucca: Client, vsftpd: VsftpdFactory, pki: Pki) -> None:
    server = vsftpd()
    target = server.root / "imports" / "users.csv"
    with lucca.connect(server.server(ca_file=pki.ca_file, upload="temporary")) as remote:
        remote.put(b"id;name\n", str(target))
    assert [path.name for path in target.parent.iterdir()] == ["users.csv"]


def test_a_login_other_than_anonymous_is_refused(lucca: Client, vsftpd: VsftpdFactory, pki: Pki) -> None:
    error = lucca.refused(vsftpd().server(ca_file=pki.ca_file, login="lucca"))
    assert error.reason == "login-refused"
    assert "530 This FTP server is anonymous only." in str(error)
    assert lucca.steps.kinds() == [
        ("outbound.connect", "ok"),
        ("outbound.tls", "ok"),
        ("outbound.auth", "failed"),
    ]


def test_missing_folders_and_files(lucca: Client, vsftpd: VsftpdFactory, pki: Pki) -> None:
    server = vsftpd(implicit=True)
    missing = server.root / "dossier1"
    with lucca.connect(server.server(ca_file=pki.ca_file)) as remote:
        for attempt in (lambda: remote.list(str(missing)), lambda: remote.put(b"x", f"{missing}/x.csv")):
            with pytest.raises(OutboundError, match="550 Failed to change directory") as caught:
                attempt()
            assert caught.value.reason == "folder-missing"
        with pytest.raises(OutboundError, match="550 Failed to open file") as gone:
            remote.get(f"{server.root}/imports/gone.csv")
        assert gone.value.reason == "file-missing"
    failed = [
        (event.kind, event.detail["reason"]) for event in lucca.steps.events() if event.outcome == "failed"
    ]
    assert failed == [
        ("outbound.list", "folder-missing"),
        ("outbound.put", "folder-missing"),
        ("outbound.get", "file-missing"),
    ]


def test_a_server_without_write_access_refuses_uploads_and_deletions(
    lucca: Client, vsftpd: VsftpdFactory, pki: Pki
) -> None:
    server = vsftpd(writable=False)
    kept = server.root / "exports" / "kept.csv"
    kept.write_bytes(b"kept\n")
    with lucca.connect(server.server(ca_file=pki.ca_file)) as remote:
        assert remote.get(str(kept)) == b"kept\n"
        for attempt in (lambda: remote.put(b"x", f"{kept.parent}/new.csv"), lambda: remote.delete(str(kept))):
            with pytest.raises(OutboundError, match="550 Permission denied") as caught:
                attempt()
            assert caught.value.reason == "permission-denied"
    assert kept.exists()


@pytest.mark.parametrize("implicit", IMPLICIT)
def test_a_certificate_no_trusted_ca_issued(
    lucca: Client, vsftpd: VsftpdFactory, pki: Pki, implicit: bool
) -> None:
    error = lucca.refused(vsftpd(implicit=implicit).server())  # the system's trust store
    assert error.reason == "certificate-untrusted"
    assert "the system's trust store" in str(error) and "(ca_file)" in str(error)
    assert "(certificate 127.0.0.1, for 127.0.0.1, issued by OU=IT,O=Customer)" in str(error)
    assert lucca.steps.kinds() == [("outbound.connect", "ok"), ("outbound.tls", "failed")]


def test_an_expired_certificate(lucca: Client, vsftpd: VsftpdFactory, pki: Pki) -> None:
    error = lucca.refused(vsftpd(certificate=pki.expired).server(ca_file=pki.ca_file))
    assert error.reason == "certificate-expired"
    assert "expired on 2021-01-01 00:00 UTC" in str(error)


def test_a_certificate_for_another_name(lucca: Client, vsftpd: VsftpdFactory, pki: Pki) -> None:
    error = lucca.refused(vsftpd(implicit=True, certificate=pki.other_name).server(ca_file=pki.ca_file))
    assert error.reason == "certificate-name-mismatch"
    assert "for files.example.org" in str(error) and "does not name '127.0.0.1'" in str(error)


def test_ftpes_on_an_implicit_port_and_ftps_on_an_explicit_one(
    lucca: Client, vsftpd: VsftpdFactory, pki: Pki
) -> None:
    implicit = vsftpd(implicit=True).server(type="ftpes", ca_file=pki.ca_file, timeout="1s")
    required = lucca.refused(implicit)
    assert required.reason == "tls-required" and "choose type FTPS" in str(required)
    assert lucca.steps.kinds() == [("outbound.connect", "failed")]

    explicit = vsftpd().server(type="ftps", ca_file=pki.ca_file)
    refused = lucca.refused(explicit)
    assert refused.reason == "tls-refused" and "choose type FTPES" in str(refused)


def test_a_server_without_tls_refuses_auth_tls(lucca: Client, vsftpd: VsftpdFactory, pki: Pki) -> None:
    error = lucca.refused(vsftpd(tls=False).server(ca_file=pki.ca_file))
    assert error.reason == "tls-refused" and "refused AUTH TLS (530 Please login with USER and PASS.)" in str(
        error
    )
    assert lucca.steps.kinds() == [("outbound.connect", "ok"), ("outbound.tls", "failed")]


def test_the_files_of_a_test_stay_in_its_folder(vsftpd: VsftpdFactory, tmp_path: Path) -> None:
    """vsftpd runs without a chroot here: only the paths the tests give (all in tmp) are touched."""
    assert vsftpd().root.is_relative_to(tmp_path)
