"""The issue's end-to-end flows in the browser: a scenario switched on makes a real OpenSSH ``sftp`` upload
fail with the scenario's error live in the journal, and off the next passes; the clock advanced past a
retention removes a file; a mail read with its attachment."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from selenium.webdriver.common.by import By

from mockpartners.infra.journal import Query
from tests.clients import sftp_batch
from tests.dashboard.conftest import Dashboard


def _upload(dashboard: Dashboard, request_file: Path) -> int:
    onss = dashboard.suite["onss"]
    account = onss.account()
    result = sftp_batch(
        onss.endpoint(), account.username, f"put {request_file} IN/\n", key=account.private_key
    )
    return result.returncode


def _switch(dashboard: Dashboard, partner: str, scenario: str) -> None:
    dashboard.open("scenarios")
    dashboard.find(f'input.switch[data-partner="{partner}"][data-scenario="{scenario}"]').click()


def test_a_scenario_on_fails_a_real_upload_live_in_the_journal_and_off_the_next_passes(
    dashboard: Dashboard, request_file: Path
) -> None:
    dashboard.suite.reset()
    _switch(dashboard, "onss", "disk-full")
    dashboard.until(
        lambda driver: (
            "onss/disk-full" in (driver.find_element(By.ID, "banner").get_attribute("data-scenarios") or "")
        ),
        "the banner to show onss/disk-full",
    )
    assert dashboard.suite["onss"].scenarios.info("disk-full").active

    dashboard.open("journal")
    dashboard.wait_for('#journal[data-live="true"]', "the live stream to open")
    assert _upload(dashboard, request_file) != 0
    fault = dashboard.wait_for(
        '.event.error[data-kind="scenario.fault"]', "the scenario's error in the journal"
    )
    assert "scenario=disk-full" in fault.text and "no space left on device" in fault.text
    session = fault.find_element(By.XPATH, "ancestor::details[contains(@class, 'session')]")
    assert "has-error" in (session.get_attribute("class") or "")
    assert session.find_elements(By.CSS_SELECTOR, '.event[data-kind="session.login"]')
    dashboard.screenshot("journal-live")

    _switch(dashboard, "onss", "disk-full")
    dashboard.until(lambda driver: driver.find_element(By.ID, "banner").get_attribute("hidden") is not None,
                    "the banner to empty")  # fmt: skip
    dashboard.open("journal")
    dashboard.wait_for('#journal[data-live="true"]', "the live stream to open")
    cursor = dashboard.suite.journal.last_id() if dashboard.suite.journal else 0
    assert _upload(dashboard, request_file) == 0
    passed = dashboard.suite["onss"].journal.wait_for(Query(kind="fs.close", after=cursor))
    shown = dashboard.wait_for(f'.event[data-id="{passed.id}"]', "the upload that passed, live")
    assert "error" not in (shown.get_attribute("class") or "") and "complete=true" in shown.text


def test_advancing_the_clock_lets_retention_remove_a_file(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    magda = dashboard.suite["magda"]
    magda.files("afnemer-0001").drop("from_vip/OLD.xml", b"<old/>")
    dashboard.open("clock")
    retention = dashboard.find('#planned tr[data-partner="magda"][data-job="retention"]')
    assert "1h" in retention.text  # MAGDA sweeps every hour (retention_check)
    advance_by = dashboard.find("#advance-by")
    advance_by.clear()
    advance_by.send_keys("70d")  # past two months, whatever the month
    dashboard.find("#advance").click()
    removal = '#clock-events .event[data-kind="partner.retention"][data-path="from_vip/OLD.xml"]'
    removed = dashboard.wait_for(removal, "retention to remove the file")
    assert "magda" in removed.text
    dashboard.screenshot("clock-retention")
    assert not magda.files("afnemer-0001").exists("from_vip/OLD.xml")

    dashboard.open("files")
    dashboard.find("#account-choice").send_keys("magda · afnemer-0001")
    dashboard.wait_for('#tree[data-account="magda/afnemer-0001"]', "magda's tree")
    dashboard.find('details.folder[data-path="from_vip"] summary').click()
    dashboard.wait_for('ul.tree[data-folder="from_vip"]', "from_vip's listing")
    assert not dashboard.all('li.file[data-path="from_vip/OLD.xml"]')


def test_a_mail_is_read_with_its_attachment(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    outbox = dashboard.suite.info.outbox
    assert outbox is not None
    message = EmailMessage()
    message["From"] = "xfb@dgfip.example"
    message["To"] = "ordonnateur@collectivite.example"
    message["Subject"] = "Transfert correct"
    message.set_content("Votre fichier a été transféré.\n")
    message.add_attachment(b"<ack/>", maintype="application", subtype="xml", filename="ACK.xml")
    with smtplib.SMTP(outbox.host, outbox.port, timeout=10) as client:
        client.send_message(message)
    sent = dashboard.suite.outbox.wait_for(subject="Transfert correct", timeout=10)

    dashboard.open("mail")  # other partners' mails may be listed too (XFB's own notices)
    dashboard.find(f'table.mails tr[data-mail="{sent.id}"] a').click()
    text = dashboard.wait_for("#mail-reader[data-mail] #mail-text", "the message to open")
    assert "Votre fichier a été transféré." in text.text
    assert "ACK.xml (application/xml, 6 bytes)" in dashboard.find("ul.attachments").text
    link = dashboard.find("ul.attachments a").get_attribute("href") or ""
    assert link.endswith(f"/v1/mail/{sent.id}/attachments/0")
    journal = dashboard.suite.journal

    def reads() -> list[str]:
        return [event.detail["reader"] for event in journal.events(Query(kind="mail.read"))
                if event.detail.get("id") == sent.id]  # fmt: skip

    journal.wait_until(lambda: bool(reads()), timeout=10, what="the mail's read")
    assert reads() == ["dashboard"]  # a read for the contract's "mails read", saying by whom
    dashboard.screenshot("mail-message")


def test_the_contract_shows_a_broken_rule_with_the_events_that_broke_it(
    dashboard: Dashboard, request_file: Path
) -> None:
    dashboard.suite.reset()
    onss = dashboard.suite["onss"]
    account = onss.account()
    commands = f"put {request_file} IN/\nrename IN/{request_file.name} IN/RENAMED.xml\n"
    sftp_batch(onss.endpoint(), account.username, commands, key=account.private_key)  # the rename is refused
    onss.journal.wait_for(Query(kind="fs.rename"))
    dashboard.open("contract")
    broken = dashboard.find('section.partner[data-partner="onss"] .rule[data-rule="no-rename"]')
    assert broken.get_attribute("data-status") == "fail"
    broken.find_element(By.CSS_SELECTOR, "details.evidence summary").click()
    assert "fs.rename" in broken.find_element(By.CSS_SELECTOR, "details.evidence").text
    assert "Contract broken" in dashboard.find("#verdict").text
    dashboard.screenshot("contract-broken")


def test_an_account_is_created_and_given_a_remote_folder(dashboard: Dashboard) -> None:
    dashboard.suite.reset()
    lucca = dashboard.suite["lucca"]
    dashboard.open("accounts")
    section = dashboard.find('section.partner[data-partner="lucca"]')
    section.find_element(By.CSS_SELECTOR, "form.create input[name=username]").send_keys("compta")
    section.find_element(By.CSS_SELECTOR, "form.create input[name=description]").send_keys("Compta")
    section.find_element(By.CSS_SELECTOR, "form.create button").click()
    dashboard.until(lambda driver: dashboard.status() == "compta created", "the account to be created")
    assert "compta" in lucca.accounts.usernames()
    renamed = dashboard.wait_for('section.partner[data-partner="lucca"] tr[data-account="compta"] form.edit')
    login = renamed.find_element(By.CSS_SELECTOR, "input[name=login]")
    login.clear()
    login.send_keys("compta2")
    renamed.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    dashboard.until(lambda driver: dashboard.status() == "compta2 saved", "the new login")
    assert "compta2" in lucca.accounts.usernames() and "compta" not in lucca.accounts.usernames()
    row = dashboard.wait_for(
        'section.partner[data-partner="lucca"] tr[data-account="paie-sftp"]', "Lucca's accounts"
    )
    row.find_element(By.CSS_SELECTOR, "input[name=folder-name]").send_keys("Notes de frais")
    row.find_element(By.CSS_SELECTOR, "input[name=folder-path]").send_keys("/frais")
    row.find_element(By.CSS_SELECTOR, "input[name=folder-use]").send_keys("exchange")
    row.find_element(By.CSS_SELECTOR, ".remote-folders button[type=submit]").click()
    dashboard.until(
        lambda driver: dashboard.status() == "folder Notes de frais added", "the folder to be added"
    )
    folders = [folder.name for folder in lucca.account("paie-sftp").remote_folders]
    assert "Notes de frais" in folders
    dashboard.screenshot("accounts-lucca")
