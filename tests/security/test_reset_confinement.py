"""Item 6 of the hardening issue: a reset never deletes anything outside the state directory.

A profile's user name could name a folder outside the state directory (``../../x``), and ``reset`` emptied
it. User names are now safe folder names (tests/test_config.py); and whatever leads a home out of the
state directory (a link put there by hand), a reset refuses it before deleting anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpartners import MockPartnersError
from mockpartners.app.pytest_plugin import SuiteFactory
from tests.admin.conftest import Api


def test_a_home_that_leads_outside_is_never_emptied(mockpartners: SuiteFactory, tmp_path: Path) -> None:
    suite = mockpartners("onss", admin=True)
    assert suite.admin is not None
    onss = suite["onss"]
    outside = tmp_path / "precious"
    (outside / "IN").mkdir(parents=True)
    (outside / "IN" / "keep.txt").write_text("not the partner's to delete\n")
    first, second = (Path(account.home) for account in onss.info().accounts)
    (first / "OUT" / "ANSWER.ACK").write_text("the first home's own file\n")
    second.rename(tmp_path / "moved-home")
    second.symlink_to(outside)

    with pytest.raises(MockPartnersError, match=r"leads outside the state directory .* nothing was deleted"):
        onss.reset()
    answer = Api(suite.admin.url).post("/v1/partners/onss/reset")
    assert answer.status == 409 and "leads outside the state directory" in answer.error

    assert (outside / "IN" / "keep.txt").read_text() == "not the partner's to delete\n"
    assert (first / "OUT" / "ANSWER.ACK").exists(), "a refused reset deletes nothing at all"
