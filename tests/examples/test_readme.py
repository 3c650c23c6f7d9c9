"""The README's commands work as pasted (issue 9, items 20 and 22), and the docs cite guides by title.

The Quickstart's sftp session must not touch the user's ~/.ssh (it trusts the state directory's
known_hosts, so deleting the state directory never leaves a stale host key behind) nor leave a file in the
repository; its curl line must not draw a warning. The commands run as written, in a folder laid out like
the repository, against `mockpartners up`; only the port differs, since tests listen on free ports.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mockpartners import Journal
from tests.clients import require
from tests.running import up

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
REQUEST = "fixtures/onss/DMFA.123456.20261121.xml"


def _block_after(marker: str) -> list[str]:
    """The lines of the first ```sh block after ``marker``, continuation lines joined."""
    after = README[README.index(marker) :]
    block = after[after.index("```sh\n") + len("```sh\n") : after.index("\n```", after.index("```sh\n"))]
    return block.replace("\\\n", " ").splitlines()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A folder laid out like the repository's root: what the README's relative paths expect."""
    folder = tmp_path / "repository"
    (folder / "fixtures" / "onss").mkdir(parents=True)
    shutil.copy(ROOT / REQUEST, folder / REQUEST)
    return folder


def test_the_onss_session_works_as_pasted_without_touching_ssh_settings(
    repository: Path, tmp_path: Path, mockpartners_credentials: Path
) -> None:
    lines = _block_after("For ONSS, in another terminal")
    command = lines[0]
    session = [line.removeprefix("sftp> ") for line in lines[1:]]
    assert (
        command.startswith("sftp -P 8022 ") and "UserKnownHostsFile=.mockpartners/onss/known_hosts" in command
    )
    home = tmp_path / "home"  # an empty home: nothing in ~/.ssh to lean on, nothing written there
    home.mkdir()
    fetched = Path("/tmp") / "DMFA.123456.20261121.xml.ACK"
    fetched.unlink(missing_ok=True)
    with up(repository / ".mockpartners", mockpartners_credentials) as running:
        pasted = command.replace("-P 8022", f"-P {running.info['onss'].endpoint().port}")

        def sftp(lines: list[str]) -> None:
            result = subprocess.run(
                [require("bash"), "-c", pasted],
                input="\n".join(lines) + "\n",
                capture_output=True,
                text=True,
                cwd=repository,
                env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
                timeout=60,
            )
            assert result.returncode == 0 and "Host key verification failed" not in result.stderr, (
                result.stderr
            )

        sftp(session[:1])  # put; a person typing the next line gives the partner time to answer
        Journal(running.state / "journal.sqlite3", read_only=True).wait_for(kind="partner.answer")
        sftp(session[1:])  # get, rm
        assert "ACCEPTED" in fetched.read_text()
        assert not list((Path(running.info["onss"].account("EXP0000001").home) / "OUT").iterdir())
    fetched.unlink()
    assert not (home / ".ssh").exists()
    assert sorted(entry.name for entry in repository.iterdir()) == [".mockpartners", "fixtures"]


def test_the_magda_listing_works_as_pasted_without_warnings(
    repository: Path, mockpartners_credentials: Path
) -> None:
    lines = _block_after("For MAGDA (FTPS")
    assert "--ssl-reqd" in lines[1] and "--ftp-ssl" not in lines[1]
    with up(repository / ".mockpartners", mockpartners_credentials, partner="magda") as running:
        port = running.info["magda"].endpoint().port
        chosen = re.sub(r"P=2121", f"P={port}", lines[0])
        assert chosen != lines[0], "the README chooses MAGDA's port as this test expects"
        listed = subprocess.run(
            [require("bash"), "-c", f"{chosen}\n{lines[1]}"],
            capture_output=True,
            text=True,
            cwd=repository,
            timeout=60,
        )
    assert listed.returncode == 0, listed.stderr
    assert "Warning" not in listed.stderr  # curl warns about --ftp-ssl: the README uses --ssl-reqd


def test_docs_and_profiles_cite_guides_by_title() -> None:
    """Users have the partners' guides under their titles, not our copies' file names."""
    cited = re.compile(r"\.\./shared|\b\d{3}_[0-9a-f]{16}\.txt\b")
    places = [ROOT / "README.md", ROOT / "DEVELOPERS.md", *ROOT.glob("docs/**/*.md")]
    places += [*ROOT.glob("mockpartners/**/*.yaml"), *ROOT.glob("mockpartners/**/*.py")]
    places += [*ROOT.glob("compose/**/*"), *ROOT.glob(".ci/*"), *ROOT.glob("tests/**/*.py")]
    found = [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in places
        if path.is_file() and path != Path(__file__)
        for match in cited.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []
