"""Retention on the virtual clock: MAGDA's table, each period passed by advancing a frozen clock."""

from __future__ import annotations

import io

from mockpartners import Partner
from tests.clients import Certificate, ftplib_tls

FOLDERS = ["to_vip", "from_vip", "cache/to_vip", "cache/from_vip", "publiek"]


def _drop_everywhere(magda: Partner) -> None:
    files = magda.files("afnemer-0001")
    for folder in FOLDERS:
        files.drop(f"{folder}/OLD.txt", folder)  # .txt: not a request, so to_vip keeps it
    magda.publish("publiek/GENERIC.xml", "<codetabel/>")  # every account


def _left(magda: Partner) -> list[str]:
    files = magda.files("afnemer-0001")
    return sorted(f"{folder}/{name}" for folder in FOLDERS for name in files.list(folder))


def test_each_folder_keeps_files_for_its_period(magda: Partner) -> None:
    magda.clock.freeze()
    _drop_everywhere(magda)
    magda.wait_until_idle()
    assert len(_left(magda)) == 6

    magda.clock.advance("15d")  # past two weeks: the cache folders are cleaned
    magda.journal.wait_for(kind="partner.retention", path="cache/from_vip/OLD.txt")
    magda.wait_until_idle()
    assert _left(magda) == ["from_vip/OLD.txt", "publiek/GENERIC.xml", "publiek/OLD.txt", "to_vip/OLD.txt"]

    magda.clock.advance("17d")  # 32 days: past one month, publiek is cleaned, in every account
    magda.journal.wait_for(kind="partner.retention", path="publiek/GENERIC.xml", account="afnemer-0002")
    magda.wait_until_idle()
    assert _left(magda) == ["from_vip/OLD.txt", "to_vip/OLD.txt"]

    magda.clock.advance("30d")  # 62 days: past two months
    magda.journal.wait_for(kind="partner.retention", path="to_vip/OLD.txt")
    magda.wait_until_idle()
    assert _left(magda) == []
    deletion = magda.journal.wait_for(kind="partner.retention", path="from_vip/OLD.txt")
    assert deletion.detail["retention"] == "2mo" and deletion.detail["age_days"] >= 61


def test_files_written_in_virtual_time_age_in_virtual_time(magda: Partner) -> None:
    magda.clock.freeze()
    magda.clock.advance("90d")
    account = magda.account()
    client = ftplib_tls(magda.endpoint(), Certificate.of(account))
    with client:
        client.login(account.username, "")
        client.prot_p()
        client.storbinary("STOR cache/from_vip/NEW.txt", io.BytesIO(b"fresh"))
        listing = dict(client.mlsd("cache/from_vip"))
    assert listing["NEW.txt"]["modify"].startswith(magda.clock.now().strftime("%Y%m%d"))
    magda.clock.advance("13d")
    magda.wait_until_idle()
    assert magda.files(account.username).list("cache/from_vip") == ["NEW.txt"]
    magda.clock.advance("2d")
    magda.journal.wait_for(kind="partner.retention", path="cache/from_vip/NEW.txt")


def test_publications_reach_every_account_or_one(magda: Partner) -> None:
    generic = magda.publish("publiek/ONDERNEMINGEN.xml", "<mutaties/>")
    private = magda.publish("from_vip/EXTRACT.xml", "<extract/>", account="afnemer-0002")
    assert [event.account for event in generic] == ["afnemer-0001", "afnemer-0002"]
    assert [event.kind for event in private] == ["partner.publish"]
    assert magda.files("afnemer-0001").list("from_vip") == []
    assert magda.files("afnemer-0002").read("from_vip/EXTRACT.xml") == b"<extract/>"
