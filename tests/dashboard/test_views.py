"""Every view loads from the admin API's data, generic over partners and protocols."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from mockpartners.app.dashboard import VIEWS
from mockpartners.infra.journal import Query
from tests.dashboard.conftest import PARTNERS, Dashboard
from tests.insee._tedeco import ACCOUNT, records, status, write_pair

SHOWN_WITH_CONTENT = {"journal", "clock", "mail", "contract", "accounts"}
"""Views whose screenshot in docs/dashboard.md is taken by a flow (tests/dashboard/test_flows.py), with
something in them."""


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_loads_without_an_error(dashboard: Dashboard, view: str) -> None:
    dashboard.suite.reset()
    dashboard.open(view)
    assert "error" not in (dashboard.find("#status").get_attribute("class") or ""), dashboard.status()
    assert dashboard.find('nav a[aria-current="page"]').text == VIEWS[view]
    if view not in SHOWN_WITH_CONTENT:
        dashboard.screenshot(view)


def test_partners_show_endpoints_fingerprints_certificates_and_commands(dashboard: Dashboard) -> None:
    dashboard.open("partners")
    shown = [section.get_attribute("data-partner") for section in dashboard.all("section.partner")]
    assert shown == PARTNERS
    onss = dashboard.suite["onss"].info()
    page = dashboard.find("#partner-onss").text
    assert onss.endpoint().host_keys[0].sha256 in page
    magda = dashboard.suite["magda"].info().endpoint()
    assert magda.tls is not None and magda.tls.certificate_sha256 in dashboard.find("#partner-magda").text
    commands = dashboard.find('#partner-onss details.commands[data-account="EXP0000001"]')
    commands.click()
    blocks = commands.find_elements("css selector", ".command")
    clients = [block.get_attribute("data-client") for block in blocks]
    assert clients == ["OpenSSH sftp", "curl", "lftp", "WinSCP", "FileZilla"]
    openssh = commands.find_element("css selector", '.command[data-client="OpenSSH sftp"] pre').text
    assert openssh.startswith("sftp -P ")
    assert f"UserKnownHostsFile={onss.endpoint().known_hosts_file}" in openssh
    assert commands.find_elements("css selector", "button.copy")


def test_files_show_states_and_a_drop_and_a_delete_go_through_the_api(
    dashboard: Dashboard, tmp_path: Path
) -> None:
    dashboard.suite.reset()
    xfb = dashboard.suite["xfb"]
    username = xfb.account().username
    xfb.files(username).drop("retours/RCT290G", b"retour")
    dashboard.open("files")
    Select(dashboard.find("#account-choice")).select_by_value(f"xfb/{username}")
    dashboard.wait_for(f'#tree[data-account="xfb/{username}"]', "xfb's tree")
    dashboard.find('details.folder[data-path="retours"] summary').click()
    state = dashboard.wait_for('li.file[data-path="retours/RCT290G"] .state', "the file's state")
    assert state.get_attribute("data-state") == "B"

    onss = dashboard.suite["onss"]
    Select(dashboard.find("#account-choice")).select_by_value("onss/EXP0000001")
    dashboard.wait_for('#tree[data-account="onss/EXP0000001"]', "onss's tree")
    sample = tmp_path / "NOTE.txt"
    sample.write_text("from the dashboard\n")
    dashboard.find("#drop-path").send_keys("OUT/NOTE.txt")
    dashboard.find("#drop-file").send_keys(str(sample))
    dashboard.find("#drop button[type=submit]").click()
    onss.journal.wait_for(Query(kind="partner.drop", path="OUT/NOTE.txt"))
    dashboard.until(lambda driver: dashboard.status() == "OUT/NOTE.txt dropped", "the tree to show the drop")
    assert onss.files("EXP0000001").read("OUT/NOTE.txt") == b"from the dashboard\n"
    dashboard.find('details.folder[data-path="OUT"] summary').click()
    dashboard.wait_for('li.file[data-path="OUT/NOTE.txt"] button.danger', "the dropped file").click()
    onss.journal.wait_for(Query(kind="partner.remove", path="OUT/NOTE.txt"))
    dashboard.until(
        lambda driver: dashboard.status() == "OUT/NOTE.txt removed", "the tree to show the removal"
    )
    assert not onss.files("EXP0000001").exists("OUT/NOTE.txt")

    Select(dashboard.find("#account-choice")).select_by_value("onss/:desk")
    dashboard.wait_for('#tree[data-account="onss/:desk"]', "the partner's desk")
    assert not dashboard.find("#drop").is_displayed()


def test_files_show_tedeco_statuses_per_request(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    tedeco = dashboard.suite["insee-tedeco"]
    tedeco.clock.freeze()
    write_pair(tedeco, "0001", records(3))
    status(tedeco, "chrono/0001.001", "prepared")
    tedeco.clock.advance("6m")  # deposited after 1 min, diffused 5 min later
    status(tedeco, "chrono/0001.001", "diffused")

    dashboard.open("files")
    Select(dashboard.find("#account-choice")).select_by_value(f"insee-tedeco/{ACCOUNT}")
    dashboard.wait_for(f'#tree[data-account="insee-tedeco/{ACCOUNT}"]', "the TEDECO account's tree")
    row = dashboard.wait_for('#file-states tr.file-state[data-name="rq0001.001"]', "the request's row")
    assert (row.get_attribute("data-kind"), row.get_attribute("data-state")) == ("tedeco", "diffused")
    assert "diffused (diffusé)" in row.text and "reference 7812345338" in row.text
    dashboard.find('details.folder[data-path="chrono"] summary').click()
    badge = dashboard.wait_for('li.file[data-path="chrono/0001.001"] .state', "the chrono file's status")
    assert badge.get_attribute("data-state") == "diffused"
    dashboard.screenshot("files-tedeco")
    dashboard.suite.reset()


def test_the_journal_filters_pauses_and_resumes(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    onss = dashboard.suite["onss"]
    dashboard.open("journal")
    Select(dashboard.find("#journal-filters select[name=partner]")).select_by_value("onss")
    dashboard.find("#journal-filters input[name=kind]").send_keys("partner.drop")
    dashboard.find("#journal-filters button[type=submit]").click()
    dashboard.wait_for('#journal[data-live="true"]', "the filtered stream to open")
    dashboard.find("#pause").click()
    dashboard.suite["magda"].files("afnemer-0001").drop("from_vip/OTHER.xml", b"<x/>")  # filtered out
    held = onss.files("EXP0000001").drop("OUT/HELD.txt", b"held")
    dashboard.until(lambda driver: dashboard.find(".held").text == "1 new while paused", "the held count")
    assert not dashboard.all(f'.event[data-id="{held.id}"]')
    dashboard.find("#pause").click()
    dashboard.wait_for(f'.event[data-id="{held.id}"]', "the held event, once resumed")
    rows = dashboard.all("#journal .event")
    assert {row.get_attribute("data-kind") for row in rows} == {"partner.drop"}
    assert not [row for row in rows if row.get_attribute("data-path") == "from_vip/OTHER.xml"]


def test_a_file_in_state_e_is_made_available_again(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    xfb = dashboard.suite["xfb"]
    account = xfb.account("45000001")
    made = xfb.files(account.username).drop("retours/RCT290G", b"retour")
    ident = xfb.journal.wait_for(Query(kind="partner.state", ref=made.id)).detail["local_ident"]
    endpoint = xfb.endpoint("gateway")
    url = (
        f"http://{endpoint.host}:{endpoint.port}/depot-xt/RCT290G?local_ident={ident}"
        f"&user={account.username}&password={account.password}"
    )
    urllib.request.urlopen(url, timeout=10).close()  # fetched: T
    with pytest.raises(urllib.error.HTTPError) as again:  # a double click: E
        urllib.request.urlopen(url, timeout=10)
    again.value.close()

    dashboard.open("files")
    Select(dashboard.find("#account-choice")).select_by_value(f"xfb/{account.username}")
    dashboard.wait_for(f'#tree[data-account="xfb/{account.username}"]', "xfb's tree")
    dashboard.find('details.folder[data-path="retours"] summary').click()
    state = dashboard.wait_for('li.file[data-path="retours/RCT290G"] .state', "the file's state")
    assert state.get_attribute("data-state") == "E"
    cursor = xfb.journal.last_id()
    dashboard.find('li.file[data-path="retours/RCT290G"] button.make-available').click()
    back = xfb.journal.wait_for(Query(kind="partner.state", path="retours/RCT290G", after=cursor))
    assert back.detail["state"] == "B"
    dashboard.until(lambda driver: dashboard.status() == "RCT290G available again", "the file back in B")
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"retour"


def test_a_partner_is_reset_from_its_page(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    onss = dashboard.suite["onss"]
    onss.scenarios.on("disk-full")
    dashboard.open("partners")
    assert "onss/disk-full" in (dashboard.find("#banner").get_attribute("data-scenarios") or "")
    dashboard.find("#partner-onss button.reset").click()
    dashboard.until(lambda driver: dashboard.status() == "onss reset", "the reset")
    assert not onss.scenarios.info("disk-full").active
    dashboard.until(
        lambda driver: dashboard.find("#banner").get_attribute("hidden") is not None, "the banner"
    )
