"""`mockpartners up lucca` prints paste-ready commands for each connection type of its first account (curl
over SFTP, FTPS and FTPES; lftp over FTPS and FTPES), and each works as pasted."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from tests.clients import require
from tests.test_cli import up


def _lucca_commands(cheat_sheet: list[str]) -> list[str]:
    start = next(index for index, line in enumerate(cheat_sheet) if line.startswith("lucca: "))
    section = cheat_sheet[start + 1 :]
    end = next(
        (index for index, line in enumerate(section) if line and not line.startswith(" ")), len(section)
    )
    return [line.strip() for line in section[:end] if line.strip().startswith(("curl ", "lftp ", "sftp "))]


def test_every_command_of_the_cheat_sheet_works_as_pasted(tmp_path: Path) -> None:
    with up(tmp_path / "state", "lucca", "--ports", "ephemeral") as running:
        lucca = running.info["lucca"]
        commands = _lucca_commands(running.cheat_sheet)
        schemes = sorted({command.split("://")[0].split()[-1] for command in commands if "://" in command})
        assert [command.split()[0] for command in commands] == [
            "sftp",
            "curl",
            "curl",
            "lftp",
            "curl",
            "lftp",
        ]
        assert any("sftp://" in command for command in commands) and "ftps" in schemes
        for command in commands[1:]:  # the first is OpenSSH sftp, which asks for the password
            require(command.split()[0])
            done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (command, done.stderr)
            assert "paie" in done.stdout.split() or done.stdout.split()[-1] == "paie", (command, done.stdout)
        assert lucca.account("paie-tous-types").password in commands[1]
