"""Every view loads from the admin API's data, generic over partners and protocols."""

from __future__ import annotations

import pytest

from mockpartners.app.dashboard import VIEWS
from tests.dashboard.conftest import PARTNERS, Dashboard


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_loads_without_an_error(dashboard: Dashboard, view: str) -> None:
    dashboard.suite.reset()
    dashboard.open(view)
    assert "error" not in (dashboard.find("#status").get_attribute("class") or ""), dashboard.status()
    assert dashboard.find('nav a[aria-current="page"]').text == VIEWS[view]
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
