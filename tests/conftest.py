"""Shared test helpers; the partner fixtures themselves come from mockpartners' pytest plugin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a red build is reproducible and never a dice roll;
# local runs keep exploring new ones (a failure prints the example that broke, to pin with @example)
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    """A small request file on the client side, named as a valid ONSS upload."""
    path = tmp_path / "upload" / "DMFA.123456.20261121.xml"
    path.parent.mkdir()
    path.write_text("<dmfa><employer>123456</employer></dmfa>\n")
    return path


pytest_plugins = ["pytester"]
