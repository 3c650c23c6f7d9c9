"""Hostile profiles through the real command: user names that climb out of the state directory, alias
bombs and duplicate keys are one ``mockpartners: error:`` line with status 2, and touch nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.running import COMMAND, error_line


def _mockpartners(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # the timeout only stops a regression (an alias bomb once took 24 s and 3 GB): it is no speed test
    return subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, timeout=60, cwd=cwd)


def _everything_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


@pytest.mark.parametrize(
    ("profile", "setting", "named"),
    [
        ("extends: onss\naccounts:\n  - username: ../../x\n    sample_key: ed25519\n", None, "line 3"),
        ("extends: onss\n", "onss.accounts.0.username=../x", "--set onss.accounts.0.username=../x"),
    ],
)
def test_a_user_name_outside_the_state_directory_is_refused_and_creates_nothing(
    tmp_path: Path, profile: str, setting: str | None, named: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "partner.yaml").write_text(profile)
    settings = ["--set", setting] if setting else []
    state = work / "a" / "b" / "state"
    result = _mockpartners(
        "up",
        "--profile",
        "partner.yaml",
        *settings,
        "--state-dir",
        str(state),
        "--ports",
        "ephemeral",
        cwd=work,
    )
    line = error_line(result)
    assert named in line and "accounts[0].username: a user name cannot start with a dot" in line
    assert setting or "partner.yaml, line 3" in line
    assert _everything_under(tmp_path) == {"work", "work/partner.yaml"}  # not even the state directory


def test_check_refuses_an_alias_bomb_in_one_line(tmp_path: Path) -> None:
    levels = ["&lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"&lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]" for n in range(1, 9)]
    (tmp_path / "bomb.yaml").write_text("extends: onss\ndescription: [" + ", ".join(levels) + "]\n")
    line = error_line(_mockpartners("check", "bomb.yaml", cwd=tmp_path))
    assert line.startswith("mockpartners: error: bomb.yaml: line 2: its aliases (*name) expand to more than")


def test_check_names_both_lines_of_a_duplicate_key(tmp_path: Path) -> None:
    (tmp_path / "twice.yaml").write_text("extends: onss\nname: onss\npickup:\n  delay: 5m\nname: other\n")
    line = error_line(_mockpartners("check", "twice.yaml", cwd=tmp_path))
    assert line == (
        "mockpartners: error: twice.yaml: line 5: key 'name' is written twice in one mapping "
        "(lines 2 and 5); keep one"
    )
