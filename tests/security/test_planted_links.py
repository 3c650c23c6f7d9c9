"""Item 5 of the hardening issue: partner-side writes never follow a link planted in a home, and the
partner never takes a link as a request.

Clients cannot make links (SFTP SYMLINK is refused, FTP has none), but anything else on the machine can:
a link left in an inbox must not let the partner write, copy or answer what lies outside the home.
"""

from __future__ import annotations

import io
from pathlib import Path

from mockpartners import Partner, Query
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api, files_path
from tests.clients import paramiko_sftp
from tests.reliability.sessions import upload_request


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("outside the home, never to be written or read by the partner\n")
    return victim


def test_a_drop_never_writes_through_a_planted_link(mockpartners: SuiteFactory, tmp_path: Path) -> None:
    """The old temporary name (``.NAME.drop``) with a link planted on it, for the Python API and HTTP."""
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None
    onss = suite["onss"]
    victim = _victim(tmp_path)
    before = victim.read_bytes()
    inbox = Path(onss.account().home) / "IN"
    for name in ("API.xml", "HTTP.xml"):
        (inbox / f".{name}.drop").symlink_to(victim)
    onss.files().drop("IN/API.xml", "<from-python/>")
    put = Api(suite.admin.url).put(files_path("onss", "EXP0000001", "IN/HTTP.xml"), data=b"<from-http/>")
    assert put.status == 201, put.body

    assert victim.read_bytes() == before
    for name, content in (("API.xml", b"<from-python/>"), ("HTTP.xml", b"<from-http/>")):
        assert not (inbox / name).is_symlink() and (inbox / name).read_bytes() == content
        assert onss.wait_for_answer(f"IN/{name}").kind == "partner.answer"


def _swap_for_a_link(partner: Partner, path: str, victim: Path) -> None:
    real = Path(partner.account().home) / path
    real.unlink()
    real.symlink_to(victim)


def test_the_partner_never_takes_a_link_as_a_request(mockpartners: SuiteFactory, tmp_path: Path) -> None:
    """An upload replaced by a link before the partner takes it (ONSS answers 10 minutes later)."""
    onss = mockpartners("onss", settings=["onss.pickup.delay=10m"])["onss"]
    onss.clock.freeze()
    victim = _victim(tmp_path)
    account = onss.account()
    transport, sftp = paramiko_sftp(onss.endpoint(), account.username, key=account.private_key)
    with transport, sftp:
        sftp.putfo(io.BytesIO(b"<dmfa/>\n"), "IN/SWAPPED.xml", confirm=False)
    _swap_for_a_link(onss, "IN/SWAPPED.xml", victim)
    onss.clock.advance("10m")

    skipped = onss.journal.wait_for(Query(kind="partner.skip", partner="onss", path="IN/SWAPPED.xml"))
    assert "not a plain file" in skipped.detail["reason"]
    onss.wait_until_idle()
    assert onss.files().list("OUT") == []
    assert not onss.journal.events(kind=["partner.answer", "partner.reject"], partner="onss")


def test_magda_copies_no_link_into_its_cache(mockpartners: SuiteFactory, tmp_path: Path) -> None:
    """MAGDA copies what it takes to cache/to_vip: a link would have carried the outside file in."""
    magda = mockpartners("magda", settings=["magda.pickup.delay=5m"])["magda"]
    magda.clock.freeze()
    victim = _victim(tmp_path)
    path = upload_request(magda, "VRAAG.xml", b"<Vraag/>\n")
    _swap_for_a_link(magda, path, victim)
    magda.clock.advance("5m")

    magda.journal.wait_for(Query(kind="partner.skip", partner="magda", path=path))
    magda.wait_until_idle()
    assert magda.files().list("cache/to_vip") == [] and magda.files().list("from_vip") == []
