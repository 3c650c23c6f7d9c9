"""TEDECO's mail statuses through the admin API's file-states route, as the dashboard's Files view reads
them: each request taken from the spool with its status, the moment of every status reached (TASK
Collectivités' guide, I, "Vérifier régulièrement les statuts de courriers émis dans le chrono départ"),
beside the XFB gateway's B, T, E in the same shape."""

from __future__ import annotations

from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api
from tests.insee._tedeco import ACCOUNT, records, status, write_pair


def test_a_mails_statuses_are_listed_by_the_file_states_route(mockpartners: SuiteFactory) -> None:
    suite = mockpartners("insee-tedeco", "xfb", admin=True)
    assert suite.admin is not None
    api = Api(suite.admin.url)
    tedeco = suite["insee-tedeco"]
    tedeco.clock.freeze()
    route = f"/v1/partners/insee-tedeco/accounts/{ACCOUNT}/file-states"
    empty = api.ok("GET", route)
    assert empty["states"] == [] and empty["folders"] == {"tedeco": ["chrono"]} and "files" not in empty

    write_pair(tedeco, "0001", records(3))
    status(tedeco, "chrono/0001.001", "prepared")
    tedeco.clock.advance("6m")  # deposited after 1 min, diffused 5 min later
    diffused = status(tedeco, "chrono/0001.001", "diffused")

    [mail] = api.ok("GET", route)["states"]
    assert (mail["kind"], mail["name"], mail["path"]) == ("tedeco", "rq0001.001", "chrono/0001.001")
    assert mail["state"] == "diffused" and mail["details"]["label"] == "diffusé"
    assert mail["since"] == diffused.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    details = mail["details"]
    assert (details["number"], details["space"], details["reference"]) == ("0001", "001", "7812345338")
    assert details["request"] == "ead/001/rq0001.001"
    assert list(details["times"]) == ["prepared", "deposited", "diffused"]

    xfb = suite["xfb"]
    username = xfb.account().username
    xfb.files(username).drop("retours/RCT290G", b"retour")
    both = api.ok("GET", f"/v1/partners/xfb/accounts/{username}/file-states")
    [given] = both["states"]
    assert (given["kind"], given["path"], given["state"]) == ("xfb", "retours/RCT290G", "B")
    assert given["details"]["local_ident"] == both["files"]["RCT290G"]["local_ident"]
    assert api.get("/v1/partners/insee-tedeco/accounts/99999/file-states").status == 404
