"""Path resolution and rights: hostile paths never leave the home; rights come from the profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mockpartners import load_profile
from mockpartners.ports.storage import AccessRefused, Home


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "homes" / "EXP1", load_profile("onss"), "EXP1")
    home.ensure_folders()
    (tmp_path / "homes" / "secret.txt").write_text("another account's file")
    return home


@pytest.mark.parametrize(
    ("path", "virtual"),
    [
        ("IN/a.xml", "/IN/a.xml"),
        ("/IN/a.xml", "/IN/a.xml"),
        ("../../etc/passwd", "/etc/passwd"),
        ("IN/../../../OUT", "/OUT"),
        ("", "/"),
        (".", "/"),
        ("//IN//a", "/IN/a"),
        ("/..", "/"),
    ],
)
def test_paths_are_normalised_inside_the_home(home: Home, path: str, virtual: str) -> None:
    location = home.resolve(path)
    assert location.virtual == virtual
    assert str(location.real).startswith(str(home.root))


def test_symlinks_that_leave_the_home_are_not_followed(home: Home, tmp_path: Path) -> None:
    (home.root / "OUT" / "escape").symlink_to(tmp_path / "homes")
    (home.root / "OUT" / "inside").symlink_to(home.root / "IN")
    with pytest.raises(AccessRefused) as refused:
        home.resolve("OUT/escape/secret.txt")
    assert refused.value.kind == "not_found"
    with pytest.raises(AccessRefused):
        home.resolve("OUT/escape")
    assert home.resolve("OUT/inside").virtual == "/OUT/inside"


@pytest.mark.parametrize("path", ["IN/a\x00b", "IN/a\nb", "IN/\x1b[31m", b"IN/\xff\xfe", "IN/" + "x" * 256])
def test_impossible_names_are_refused(home: Home, path: str | bytes) -> None:
    with pytest.raises(AccessRefused) as refused:
        home.resolve(path)
    assert refused.value.kind == "invalid_name"


def test_unicode_names_are_kept_as_sent(home: Home) -> None:
    assert home.resolve("IN/déclaration‥.xml").name == "déclaration‥.xml"


@pytest.mark.parametrize(
    ("right", "path", "allowed"),
    [
        ("write", "IN/a", True),
        ("write", "OUT/a", False),
        ("write", "a", False),
        ("read", "OUT/a", True),
        ("read", "IN/a", False),
        ("delete", "OUT/a", True),
        ("delete", "IN/a", False),
        ("mkdir", "NEW", False),
        ("mkdir", "IN/sub", False),
        ("setstat", "IN/a", False),
        ("list", "", True),
        ("list", "IN", True),
        ("delete", "OUT", False),
        ("rename", "OUT", False),
    ],
)
def test_rights_follow_the_profile(home: Home, right: str, path: str, allowed: bool) -> None:
    location = home.resolve(path)
    if allowed:
        home.check(right, location)  # type: ignore[arg-type]
    else:
        with pytest.raises(AccessRefused) as refused:
            home.check(right, location)  # type: ignore[arg-type]
        assert refused.value.kind == "permission"


def test_rename_needs_rights_on_both_sides(home: Home) -> None:
    with pytest.raises(AccessRefused, match="no rename right in IN"):
        home.check_rename(home.resolve("IN/a.filepart"), home.resolve("IN/a"))


def test_location_of_a_real_path(home: Home) -> None:
    assert home.location(home.root / "OUT" / "x").virtual == "/OUT/x"
    assert home.location(home.root).virtual == "/"
    with pytest.raises(AccessRefused):
        home.location(Path(os.sep) / "etc")
