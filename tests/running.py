"""``mockpartners up`` as a separate process, the way users and containers run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mockpartners import SuiteInfo
from mockpartners.infra.state import StateDir

COMMAND = [sys.executable, "-m", "mockpartners"]
NO_TOKEN = {key: value for key, value in os.environ.items() if key != "MOCKPARTNERS_ADMIN_TOKEN"}


class Running:
    def __init__(self, process: subprocess.Popen[str], state: Path, first_line: str) -> None:
        self.process = process
        self.state = state
        self.first_line = first_line
        self.errors = ""
        """What the process wrote on stderr, once it stopped."""

    @property
    def info(self) -> SuiteInfo:
        return SuiteInfo.load(self.state / "endpoints.json")

    @property
    def where(self) -> list[str]:
        return ["--state-dir", str(self.state)]


@contextmanager
def up(
    state: Path,
    credentials: Path,
    *arguments: str,
    environment: dict[str, str] | None = None,
    partner: str = "onss",
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[Running]:
    """``mockpartners up PARTNER --ports ephemeral --quiet`` on a state seeded with the session's keys
    (``preexec_fn`` runs in the child before it starts: resource limits, for instance)."""
    StateDir(state).copy_credentials_from(StateDir(credentials), partner)
    process = subprocess.Popen(
        [*COMMAND, "up", partner, "--ports", "ephemeral", "--quiet", "--state-dir", str(state), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment or NO_TOKEN,
        preexec_fn=preexec_fn,
    )
    assert process.stdout is not None and process.stderr is not None
    running = Running(process, state, "")
    try:
        running.first_line = process.stdout.readline()  # printed once everything listens
        if not running.first_line.startswith("mockpartners: serving"):
            raise AssertionError(f"up did not start: {running.first_line}{process.stderr.read()}")
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        running.errors = process.stderr.read()
        assert "Traceback" not in running.errors


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """A user error as the command reports it: status 2, nothing on stdout, one stderr line, no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("mockpartners: error: ")
    return line
