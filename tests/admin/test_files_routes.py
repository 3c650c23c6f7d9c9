"""An account's files over HTTP, as the partner sees them: list, read, drop, remove, publish; hostile
paths never leave the home."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

import pytest

from mockpartners import Suite
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api, files_path


def test_drop_list_read_and_remove(onss_suite: Suite, api: Api) -> None:
    onss = onss_suite["onss"]
    put = api.put(files_path("onss", "EXP0000001", "IN/DMFA.1.xml"), data=b"<dmfa/>\n")
    assert put.status == 201
    event = put.json()["event"]
    assert (event["kind"], event["path"], event["account"]) == ("partner.drop", "IN/DMFA.1.xml", "EXP0000001")
    assert event["detail"] == {"size": 8, "arrival": "IN/DMFA.1.xml"}
    answer = onss.wait_for_answer("IN/DMFA.1.xml")

    listing = api.ok("GET", files_path("onss", "EXP0000001") + "?folder=OUT")
    assert listing["account"] == "EXP0000001" and listing["folder"] == "OUT"
    (entry,) = listing["entries"]
    content = onss.files("EXP0000001").read(answer.detail["answer"])
    assert entry["name"] == "DMFA.1.xml.ACK" and entry["type"] == "file" and entry["size"] == len(content)
    assert entry["modified"].endswith("+00:00")
    home = api.ok("GET", files_path("onss", "EXP0000001"))
    assert {item["name"]: item["type"] for item in home["entries"]}["OUT"] == "folder"
    as_folder = api.get(files_path("onss", "EXP0000001", "OUT"))
    assert as_folder.json() == listing

    read = api.get(files_path("onss", "EXP0000001", "OUT/DMFA.1.xml.ACK"))
    assert read.status == 200 and read.body == content
    assert read.headers.get_content_type() == "application/octet-stream"

    removed = api.delete(files_path("onss", "EXP0000001", "OUT/DMFA.1.xml.ACK"))
    assert removed.status == 200
    assert removed.json()["event"]["kind"] == "partner.remove"
    assert not onss.files("EXP0000001").exists("OUT/DMFA.1.xml.ACK")
    gone = api.get(files_path("onss", "EXP0000001", "OUT/DMFA.1.xml.ACK"))
    assert gone.status == 404 and "no such file" in gone.error


def test_binary_and_empty_files_round_trip(api: Api) -> None:
    data = bytes(range(256)) * 1000
    for name, content in [("OUT/BLOB.bin", data), ("OUT/EMPTY", b"")]:
        assert api.put(files_path("onss", "UM0000002", name), data=content).status == 201
        assert api.get(files_path("onss", "UM0000002", name)).body == content


def test_publications_reach_every_account_or_one(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("magda", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    generic = api.call(
        "POST", "/v1/partners/magda/publications", json_body={"path": "publiek/CODES.xml", "content": "<c/>"}
    )
    assert generic.status == 201
    events = generic.json()["events"]
    assert [(event["kind"], event["account"]) for event in events] == [
        ("partner.publish", "afnemer-0001"),
        ("partner.publish", "afnemer-0002"),
    ]
    private = api.ok(
        "POST",
        "/v1/partners/magda/publications",
        json_body={
            "path": "from_vip/EXTRACT.bin",
            "content_base64": base64.b64encode(b"\x00\xff").decode(),
            "account": "afnemer-0002",
        },
    )
    assert [event["account"] for event in private["events"]] == ["afnemer-0002"]
    assert api.get(files_path("magda", "afnemer-0002", "from_vip/EXTRACT.bin")).body == b"\x00\xff"
    assert api.get(files_path("magda", "afnemer-0001", "from_vip/EXTRACT.bin")).status == 404

    for body, message in [
        ({"path": "publiek/X.xml"}, "give exactly one of 'content'"),
        ({"path": "publiek/X.xml", "content": "a", "content_base64": "YQ=="}, "give exactly one"),
        ({"path": "publiek/X.xml", "content_base64": "not base64!"}, "content_base64: not valid base64"),
        ({"content": "a"}, "the field 'path' is required"),
        ({"path": 7, "content": "a"}, "path: expected a string"),
        ({"path": "publiek", "content": "a"}, "publiek is a folder"),
        ({"path": "publiek/X.xml", "content": "a", "account": "nobody"}, "magda has no account 'nobody'"),
    ]:
        refused = api.post("/v1/partners/magda/publications", body)
        assert refused.status in (400, 404, 409) and message in refused.error, body


@pytest.mark.parametrize(
    "hostile",
    [
        "../../etc/passwd",
        "%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        "..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "IN/../../../../../../etc/passwd",
        "%2Fetc%2Fpasswd",
    ],
)
def test_hostile_paths_never_leave_the_home(api: Api, hostile: str) -> None:
    read = api.get(files_path("onss", "EXP0000001", hostile))
    assert read.status in (400, 404), read.body
    assert b"root:" not in read.body
    read.error  # noqa: B018 - a JSON error, nothing else
    removed = api.delete(files_path("onss", "EXP0000001", hostile))
    assert removed.status in (400, 404)
    assert Path("/etc/passwd").exists()


def test_symbolic_links_out_of_the_home_are_not_followed(onss_suite: Suite, api: Api, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    home = onss_suite["onss"].tree.home("EXP0000001").root
    os.symlink(outside, home / "OUT" / "link")
    for method in ("GET", "PUT", "DELETE"):
        answer = api.call(method, files_path("onss", "EXP0000001", "OUT/link/secret"), data=b"x")
        assert answer.status == 404, (method, answer.body)
        assert "secret" not in answer.error
    assert (outside / "secret").read_text() == "secret"
    assert sorted(os.listdir(outside)) == ["secret"]


def test_names_that_cannot_exist_and_folders_are_refused(api: Api) -> None:
    control = api.put(files_path("onss", "EXP0000001", "IN/BAD%01NAME.xml"), data=b"x")
    assert control.status == 400 and "control characters" in control.error
    too_long = api.put(files_path("onss", "EXP0000001", "IN/" + "x" * 300), data=b"x")
    assert too_long.status == 400 and "too long" in too_long.error
    folder = api.put(files_path("onss", "EXP0000001", "OUT"), data=b"x")
    assert folder.status == 409 and "OUT is a folder" in folder.error
    home = api.put(files_path("onss", "EXP0000001") + "/", data=b"x")
    assert home.status == 409 and "the home folder is a folder" in home.error
    assert api.put(files_path("onss", "EXP0000001"), data=b"x").status == 405
    remove_folder = api.delete(files_path("onss", "EXP0000001", "IN"))
    assert remove_folder.status == 409 and "only files can be removed" in remove_folder.error
    assert api.put(files_path("onss", "EXP0000001", "OUT/FILE"), data=b"x").status == 201
    under_a_file = api.put(files_path("onss", "EXP0000001", "OUT/FILE/INNER"), data=b"x")
    assert under_a_file.status == 409 and "a file stands where a folder is needed" in under_a_file.error
    missing_folder = api.get(files_path("onss", "EXP0000001") + "?folder=NOWHERE")
    assert missing_folder.status == 404
    unknown_account = api.get(files_path("onss", "EXP9999999", "IN"))
    assert unknown_account.status == 404 and "onss has no account 'EXP9999999'" in unknown_account.error
    sneaky_account = api.get("/v1/partners/onss/accounts/..%2FUM0000002/files/IN")
    assert sneaky_account.status == 404


def test_a_client_leaving_mid_upload_leaves_no_file_and_breaks_nothing(api: Api) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    path = files_path("onss", "EXP0000001", "OUT/HALF.bin")
    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall(f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000\r\n\r\n".encode())
        client.sendall(b"only the start")
    whole = api.put(path, data=b"the whole file")
    assert whole.status == 201
    assert api.get(path).body == b"the whole file"
    assert api.ok("GET", "/health")["status"] == "ok"
