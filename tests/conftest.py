"""Shared test helpers; the partner fixtures themselves come from mockpartners' pytest plugin."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    """A small request file on the client side, named as a valid ONSS upload."""
    path = tmp_path / "upload" / "DMFA.123456.20261121.xml"
    path.parent.mkdir()
    path.write_text("<dmfa><employer>123456</employer></dmfa>\n")
    return path


pytest_plugins = ["pytester"]
