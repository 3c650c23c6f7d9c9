"""The example profiles in fixtures/ stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpartners import load_profile

PROFILES = sorted((Path(__file__).parent.parent / "fixtures" / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("path", PROFILES, ids=[path.name for path in PROFILES])
def test_example_profile_loads(path: Path) -> None:
    assert load_profile(path).name
