"""The commands that drive a running ``mockpartners up`` through its admin API, run as users run them."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mockpartners.infra.state import StateDir
from tests.clients import paramiko_request
from tests.running import COMMAND, NO_TOKEN, Running, up


def run(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *arguments], capture_output=True, text=True, timeout=60, env=environment or NO_TOKEN
    )


def ok(*arguments: str) -> str:
    result = run(*arguments)
    assert result.returncode == 0, (arguments, result.stdout, result.stderr)
    return result.stdout


def refused(*arguments: str, environment: dict[str, str] | None = None) -> str:
    """A user error: status 2 and exactly one line on stderr, no traceback."""
    result = run(*arguments, environment=environment)
    assert result.returncode == 2, (arguments, result.stdout, result.stderr)
    (line,) = result.stderr.splitlines()
    assert line.startswith("mockpartners: error: ")
    return line


@pytest.fixture
def running(tmp_path: Path, mockpartners_credentials: Path) -> Iterator[Running]:
    with up(tmp_path / "state", mockpartners_credentials) as started:
        yield started


def _upload(running: Running, name: str, *, rename: bool = False) -> None:
    onss = running.info["onss"]
    paramiko_request(onss.endpoint(), onss.account("EXP0000001"), name, rename=rename)


def test_up_serves_the_admin_api_and_status_shows_it(running: Running) -> None:
    admin = running.info.admin
    assert admin is not None and admin.token_file is None
    assert f"admin API at {admin.url}" in running.first_line
    with urllib.request.urlopen(f"{admin.url}/health", timeout=10) as response:
        assert json.load(response) == {
            "status": "ok",
            "partners": ["onss"],
            "journal": {"failing": None, "pending": 0, "lost": 0},
        }
    status = ok("status", *running.where)
    assert f"admin API: {admin.url}" in status
    port = running.info["onss"].endpoint().port
    assert f"onss: sftp://127.0.0.1:{port}/; scenarios on: rename-refused, setstat-refused" in status
    by_url = ok("status", "--url", admin.url).splitlines()
    assert [line for line in by_url if not line.startswith("clock:")] == [
        line for line in status.splitlines() if not line.startswith("clock:")
    ]


def test_scenario_commands(running: Running) -> None:
    listed = ok("scenario", "list", *running.where)
    assert listed.startswith("onss\n")
    assert any(line.split()[:2] == ["on", "rename-refused"] for line in listed.splitlines())
    assert any(line.split()[:2] == ["off", "answers-late"] for line in listed.splitlines())
    switched = ok("scenario", "on", "onss", "answers-late", "--param", "delay=5m", *running.where)
    assert switched == "onss: answers-late is on (delay=5m)\n"
    assert "on  answers-late" in ok("scenario", "list", "onss", *running.where)
    assert ok("scenario", "off", "onss", "answers-late", *running.where) == "onss: answers-late is off\n"
    journal = ok("journal", "--kind", "scenario.*", "--json", *running.where)
    assert [json.loads(line)["kind"] for line in journal.splitlines()] == ["scenario.on", "scenario.off"]


def test_clock_drop_and_reset_commands(running: Running, tmp_path: Path) -> None:
    assert ok("clock", *running.where).endswith("(running, wall clock)\n")
    assert ok("clock", "freeze", "2030-01-31T09:00:00Z", *running.where) == (
        "2030-01-31T09:00:00.000+00:00 (frozen)\n"
    )
    assert ok("clock", "advance", "61d", *running.where) == "2030-04-02T09:00:00.000+00:00 (frozen)\n"
    assert ok("clock", "show", *running.where) == "2030-04-02T09:00:00.000+00:00 (frozen)\n"
    assert ok("clock", "unfreeze", *running.where).endswith("(running, shifted)\n")

    request = tmp_path / "DMFA.9.xml"
    request.write_text("<dmfa/>\n")
    dropped = ok("drop", "onss", "IN/DMFA.9.xml", "--from", str(request), *running.where)
    assert dropped.startswith("onss: IN/DMFA.9.xml dropped in EXP0000001's home, event #")
    other = ok(
        "drop", "onss", "OUT/NOTE.txt", "--from", str(request), "--account", "UM0000002", *running.where
    )
    assert "in UM0000002's home" in other
    homes = Path(running.info["onss"].files)
    assert (homes / "UM0000002" / "OUT" / "NOTE.txt").read_text() == "<dmfa/>\n"

    assert ok("reset", "onss", *running.where).startswith("reset onss (journal kept, last event #")
    assert not (homes / "UM0000002" / "OUT" / "NOTE.txt").exists()
    assert ok("clock", *running.where).endswith("(running, shifted)\n")  # one partner: clock kept
    assert ok("reset", *running.where).startswith("reset onss and the clock")
    assert ok("clock", *running.where).endswith("(running, wall clock)\n")
    assert "partner.reset" in ok("journal", "--kind", "partner.reset", *running.where)


def test_report_exits_zero_for_a_clean_run_and_one_after_a_violation(
    running: Running, tmp_path: Path
) -> None:
    _upload(running, "DMFA.1.xml")
    clean = run("report", "--junit", str(tmp_path / "clean.xml"), *running.where)
    assert clean.returncode == 0, clean.stderr
    assert "contract kept" in clean.stdout
    suite = ElementTree.parse(tmp_path / "clean.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"

    _upload(running, "DMFA.2.xml", rename=True)
    broken = run("report", "--junit", str(tmp_path / "out.xml"), *running.where)
    assert broken.returncode == 1
    assert "FAIL   onss/no-rename" in broken.stdout and "contract broken" in broken.stdout
    failure = ElementTree.parse(tmp_path / "out.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "ContractViolation"
    as_json = run("report", "--json", "--partner", "onss", *running.where)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["passed"] is False


def test_a_token_from_the_environment_guards_the_api(tmp_path: Path, mockpartners_credentials: Path) -> None:
    environment = {**NO_TOKEN, "MOCKPARTNERS_ADMIN_TOKEN": "tok-123"}
    with up(tmp_path / "state", mockpartners_credentials, environment=environment) as started:
        admin = started.info.admin
        assert admin is not None and admin.token == "tok-123"
        assert ok("clock", *started.where).endswith("(running, wall clock)\n")  # token read from its file
        line = refused("clock", "--url", admin.url)
        assert "missing or wrong bearer token" in line
        assert ok("clock", "--url", admin.url, "--token", "tok-123").endswith("wall clock)\n")
        assert run("clock", "--url", admin.url, environment=environment).returncode == 0


def test_a_token_from_a_file_and_allowed_host_names(tmp_path: Path, mockpartners_credentials: Path) -> None:
    """--admin-token-file keeps the token out of ps; --admin-allowed-host lets a name ask without one."""
    token_file = tmp_path / "token"
    token_file.write_text("tok-from-file\n")
    options = ("--admin-token-file", str(token_file), "--admin-allowed-host", "suite.test")
    with up(tmp_path / "state", mockpartners_credentials, *options) as started:
        admin = started.info.admin
        assert admin is not None and admin.token == "tok-from-file"
        assert "tok-from-file" not in " ".join(
            Path(f"/proc/{started.process.pid}/cmdline").read_text().split("\0")
        )
        assert ok("clock", *started.where).endswith("(running, wall clock)\n")
        assert "missing or wrong bearer token" in refused("clock", "--url", admin.url)
    environment = {**NO_TOKEN, "MOCKPARTNERS_ADMIN_TOKEN_FILE": str(token_file)}
    with up(tmp_path / "other", mockpartners_credentials, environment=environment) as started:
        assert started.info.admin is not None and started.info.admin.token == "tok-from-file"
    StateDir(tmp_path / "third").copy_credentials_from(StateDir(mockpartners_credentials), "onss")
    start = ("up", "onss", "--ports", "ephemeral", "--state-dir", str(tmp_path / "third"))
    both = refused(*start, "--admin-token", "x", "--admin-token-file", str(token_file))
    assert "--admin-token or --admin-token-file, not both" in both
    missing = refused(*start, "--admin-token-file", str(tmp_path / "nothing"))
    assert f"cannot read the admin token file {tmp_path / 'nothing'}: No such file or directory" in missing
    (tmp_path / "empty").write_text("\n")
    assert "must hold the token on one line" in refused(*start, "--admin-token-file", str(tmp_path / "empty"))
    environment = {**environment, "MOCKPARTNERS_ADMIN_TOKEN": "x"}
    assert "are both set: keep one" in refused(*start, environment=environment)


def test_up_beyond_loopback_generates_a_token_and_says_where(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    """127.1 is loopback to the kernel but no IP literal to the suite: it counts as beyond loopback."""
    with up(tmp_path / "state", mockpartners_credentials, "--host", "127.1") as started:
        admin = started.info.admin
        assert admin is not None and admin.token_file == str(tmp_path / "state" / "admin-token")
        assert f"token in {admin.token_file}" in started.first_line
        assert admin.token and len(admin.token) >= 32
        assert ok("clock", *started.where).endswith("(running, wall clock)\n")
        assert "missing or wrong bearer token" in refused("clock", "--url", admin.url)


def test_up_switches_scenarios_on_at_start(tmp_path: Path, mockpartners_credentials: Path) -> None:
    scenario = "onss/answers-late:delay=10m"
    with up(tmp_path / "state", mockpartners_credentials, "--scenario", scenario) as started:
        listed = ok("scenario", "list", "onss", *started.where)
        assert any(
            line.split()[:2] == ["on", "answers-late"] and "(delay=10m)" in line
            for line in listed.splitlines()
        )
    for wrong, message in [
        ("onss", "expected PARTNER/NAME"),
        ("onss/answers-late:delay", "expected KEY=VALUE after the colon"),
        ("onss/no-such-thing", "onss has no scenario 'no-such-thing'"),
        ("onss/latency:ms=fast", "ms: expected int"),
        ("lucca/latency", "no partner 'lucca'"),
    ]:
        StateDir(tmp_path / "other").copy_credentials_from(StateDir(mockpartners_credentials), "onss")
        line = refused(
            "up", "onss", "--ports", "ephemeral", "--state-dir", str(tmp_path / "other"), "--scenario", wrong
        )
        assert message in line, wrong


def test_without_a_running_suite_commands_fail_with_one_line(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    nowhere = ["--state-dir", str(tmp_path / "nothing")]
    expected = f"no running mockpartners in {tmp_path / 'nothing'} (start it with mockpartners up)"
    for command in (["status"], ["clock"], ["scenario", "list"], ["report"], ["reset"]):
        assert refused(*command, *nowhere) == f"mockpartners: error: {expected}"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = refused("status", "--url", f"http://127.0.0.1:{port}")
    assert "cannot reach the admin API" in line and "connection refused" in line

    state = tmp_path / "stopped"
    with up(state, mockpartners_credentials):
        pass
    assert "no running mockpartners in" in refused("clock", "--state-dir", str(state))
    with up(tmp_path / "no-admin", mockpartners_credentials, "--no-admin") as started:
        assert started.info.admin is None
        assert "no admin API" in started.first_line
        assert "started with --no-admin" in refused("status", *started.where)


def test_api_errors_are_one_line_and_status_2(running: Running, tmp_path: Path) -> None:
    where = running.where
    assert "onss has no scenario 'nope'" in refused("scenario", "on", "onss", "nope", *where)
    assert "unknown parameter(s) speed" in refused(
        "scenario", "on", "onss", "latency", "--param", "speed=1", *where
    )
    assert "--param speed: expected KEY=VALUE" in refused(
        "scenario", "on", "onss", "latency", "--param", "speed", *where
    )
    assert "not a duration: 'soon'" in refused("clock", "advance", "soon", *where)
    assert "longer than 100 years" in refused("clock", "advance", "99999999999999999999d", *where)
    assert "scenario bandwidth: bytes_per_second: expected 1024 to 1073741824, got '0'" in refused(
        "scenario", "on", "onss", "bandwidth", "--param", "bytes_per_second=0", *where
    )
    assert "delay: not a duration: '99999999d'" in refused(
        "scenario", "on", "onss", "answers-late", "--param", "delay=99999999d", *where
    )
    assert "clock advance needs a duration" in refused("clock", "advance", *where)
    assert "clock reset takes no value" in refused("clock", "reset", "now", *where)
    assert "at: not an ISO 8601" in refused("clock", "freeze", "yesterday", *where)
    assert "no partner 'lucca'" in refused("reset", "lucca", *where)
    assert "cannot read" in refused("drop", "onss", "IN/X.xml", "--from", str(tmp_path / "missing"), *where)
    assert "IN is a folder" in refused("drop", "onss", "IN", "--from", __file__, *where)
    assert "cannot write" in refused("report", "--junit", str(tmp_path / "no" / "dir" / "x.xml"), *where)


def test_a_taken_admin_port_is_one_line(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        StateDir(tmp_path / "state").copy_credentials_from(StateDir(mockpartners_credentials), "onss")
        line = refused(
            "up",
            "onss",
            "--ports",
            "ephemeral",
            "--admin-port",
            str(port),
            "--state-dir",
            str(tmp_path / "state"),
        )
    assert f"admin API: port {port} on 127.0.0.1 is already in use" in line
