"""The partner's side, read-only: an account's file states (the XFB gateway's B, T, E), the partner's
desk (its spool, outside every home), a mail's attachments."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api


def test_file_states_of_an_account(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("xfb", "onss", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    xfb = suite["xfb"]
    username = xfb.account().username
    xfb.files(username).drop("retours/RCT290G", b"retour")
    states = api.ok("GET", f"/v1/partners/xfb/accounts/{username}/file-states")
    assert states["folder"] == "retours"
    assert states["files"]["RCT290G"]["state"] == "B" and states["files"]["RCT290G"]["local_ident"] > 0
    refused = api.get("/v1/partners/onss/accounts/EXP0000001/file-states")
    assert refused.status == 409 and "keeps no file states" in refused.error


def test_the_desk_is_listed_and_read_never_left(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    onss = suite["onss"]
    onss.spool.mkdir(parents=True, exist_ok=True)
    (onss.spool / "taken").mkdir(exist_ok=True)
    (onss.spool / "taken" / "A.xml").write_bytes(b"<a/>")
    listing = api.ok("GET", "/v1/partners/onss/desk")
    assert {"name": "taken", "type": "folder"} in [
        {"name": entry["name"], "type": entry["type"]} for entry in listing["entries"]
    ]
    assert api.ok("GET", "/v1/partners/onss/desk?folder=taken")["entries"][0]["name"] == "A.xml"
    assert api.get("/v1/partners/onss/desk/taken/A.xml").body == b"<a/>"
    assert api.get("/v1/partners/onss/desk/taken/..%2F..%2Fcredentials").status == 400
    assert api.get("/v1/partners/onss/desk/missing").status == 404


def test_a_mail_attachment_is_a_download_never_a_page(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None and suite.info.outbox is not None
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "page"
    message.set_content("see attached")
    message.add_attachment("<script>alert(1)</script>", subtype="html", filename="../page.html")
    with smtplib.SMTP(suite.info.outbox.host, suite.info.outbox.port, timeout=10) as client:
        client.send_message(message)
    mail = suite.outbox.wait_for(subject="page", timeout=10)
    answer = Api(suite.admin.url).get(f"/v1/mail/{mail.id}/attachments/0")
    assert answer.status == 200 and answer.body.startswith(b"<script>")
    assert answer.headers.get_content_type() == "application/octet-stream"
    assert answer.headers["Content-Disposition"] == 'attachment; filename=".._page.html"'
    assert Api(suite.admin.url).get(f"/v1/mail/{mail.id}/attachments/1").status == 404
