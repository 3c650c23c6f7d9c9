"""The ``mockpartners`` command as users run it: up, the cheat-sheet, signals, journal, and bad input."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockpartners import SuiteInfo
from mockpartners.infra.state import StateDir
from tests.clients import require, sftp_batch
from tests.running import COMMAND, error_line


@pytest.fixture(autouse=True)
def seeded(tmp_path: Path, mockpartners_credentials: Path) -> None:
    """Fresh state directories with the session's generated credentials: no key generation per test."""
    for partner in mockpartners_credentials.iterdir():
        StateDir(tmp_path / "state").copy_credentials_from(StateDir(mockpartners_credentials), partner.name)


CLIENT_ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "SSH_AUTH_SOCK"}


def run(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, timeout=timeout)


class Running:
    """A ``mockpartners up`` process whose cheat-sheet has been read."""

    def __init__(self, process: subprocess.Popen[str], cheat_sheet: list[str], state: Path) -> None:
        self.process = process
        self.cheat_sheet = cheat_sheet
        self.state = state

    @property
    def info(self) -> SuiteInfo:
        return SuiteInfo.load(self.state / "endpoints.json")

    def command(self, program: str, partner: str) -> list[str]:
        """The cheat-sheet line of ``partner`` starting with ``program``, split as a shell would."""
        start = next(index for index, line in enumerate(self.cheat_sheet) if line.startswith(f"{partner}: "))
        section = self.cheat_sheet[start + 1 :]
        end = next(
            (index for index, line in enumerate(section) if line and not line.startswith(" ")), len(section)
        )
        line = next(line.strip() for line in section[:end] if line.strip().startswith(program + " "))
        return shlex.split(line)


@contextmanager
def up(state: Path, *arguments: str) -> Iterator[Running]:
    """``mockpartners up`` in a subprocess, its cheat-sheet read; the state is seeded with the session's keys
    (see the ``seeded`` fixture) unless the test made it itself."""
    process = subprocess.Popen(
        [*COMMAND, "up", "--state-dir", str(state), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:  # printed once everything listens: the cheat-sheet, or one line (--quiet)
            lines.append(line)
            if line.startswith(("stop:", "mockpartners: serving")):
                break
        else:
            raise AssertionError(f"up exited early: {''.join(lines)} {process.stderr.read()}")  # type: ignore[union-attr]
        yield Running(process, lines, state)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_up_prints_a_cheat_sheet_whose_commands_work_and_stops_on_sigterm(tmp_path: Path) -> None:
    with up(tmp_path / "state", "--ports", "ephemeral") as running:
        text = "".join(running.cheat_sheet)
        endpoint = running.info["onss"].endpoint()
        assert f"sftp://127.0.0.1:{endpoint.port}/ (nominal port 8022)" in text
        assert endpoint.host_keys[0].sha256 in text and endpoint.host_keys[0].md5 in text
        assert "ssh-rsa 4096" in text

        sftp = running.command("sftp", "onss")
        require("sftp")
        listing = subprocess.run(
            [*sftp[:-1], "-o", "BatchMode=yes", sftp[-1]],
            input="ls -1\n",
            capture_output=True,
            text=True,
            timeout=30,
            env=CLIENT_ENVIRONMENT,
        )
        assert listing.returncode == 0, listing.stderr
        assert "OUTTEST-S" in listing.stdout

        require("curl")
        curled = subprocess.run(
            [*running.command("curl", "onss"), "-sS", "-l"], capture_output=True, text=True, timeout=30
        )
        assert curled.returncode == 0, curled.stderr
        assert "INTEST" in curled.stdout.split()

        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=30) == 0
        assert running.info.status == "stopped"
        assert "Traceback" not in running.process.stderr.read()  # type: ignore[union-attr]


def test_magda_cheat_sheet_commands_work_when_pasted(tmp_path: Path) -> None:
    with up(tmp_path / "state", "magda", "--ports", "ephemeral") as running:
        magda = running.info["magda"]
        (Path(magda.files) / "afnemer-0001" / "from_vip" / "ANTWOORD.xml").write_text("<a/>")
        text = "".join(running.cheat_sheet)
        assert f"ftps://127.0.0.1:{magda.endpoint().port}/ (nominal port 21)" in text
        assert "passive ports 40000-42000" in text and magda.endpoint().tls.certificate_sha256 in text  # type: ignore[union-attr]

        require("curl")
        curled = subprocess.run(running.command("curl", "magda"), capture_output=True, text=True, timeout=30)
        assert curled.returncode == 0, curled.stderr
        assert "--ssl-reqd" in running.command("curl", "magda") and "Warning" not in curled.stderr
        assert curled.stdout.split() == ["ANTWOORD.xml"]

        require("lftp")
        lftp = subprocess.run(running.command("lftp", "magda"), capture_output=True, text=True, timeout=30)
        assert lftp.returncode == 0, lftp.stderr
        assert {line.split()[-1] for line in lftp.stdout.splitlines()} == {
            "cache",
            "from_vip",
            "publiek",
            "to_vip",
        }

        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=30) == 0
        assert running.info.status == "stopped"
        assert "Traceback" not in running.process.stderr.read()  # type: ignore[union-attr]


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    with up(tmp_path / "state", "--ports", "ephemeral", "--quiet") as running:
        running.process.send_signal(signal.SIGINT)
        assert running.process.wait(timeout=30) == 0
        assert running.info.status == "stopped"


def test_up_on_the_nominal_ports_serves_onss_and_magda_side_by_side(tmp_path: Path) -> None:
    magda_port = 21 if os.geteuid() == 0 else 2121
    for port in (8022, magda_port, 8470):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                pytest.skip(f"port {port} is taken (is a mockpartners up running?)")
    with up(tmp_path / "state", "onss", "magda") as running:
        assert running.info["magda"].endpoint().port == magda_port
        onss = running.info["onss"]
        assert onss.endpoint().port == 8022
        account = onss.account("EXP0000001")
        result = subprocess.run(
            [
                require("sftp"),
                "-P",
                "8022",
                "-i",
                str(account.private_key),
                "-o",
                "BatchMode=yes",
                "-o",
                f"UserKnownHostsFile={onss.endpoint().known_hosts_file}",
                f"{account.username}@127.0.0.1",
            ],
            input="ls\n",
            capture_output=True,
            text=True,
            timeout=30,
            env=CLIENT_ENVIRONMENT,
        )
        assert result.returncode == 0, result.stderr


def test_every_built_in_partner_starts_on_its_ports_and_a_shared_privileged_port_goes_to_none(
    tmp_path: Path,
) -> None:
    """MAGDA's FTPS and Lucca's FTPES both have 21, the three Lucca profiles 22 and 990: as root, none of
    them takes a port another started partner has too; each uses its unprivileged port."""
    wanted = {"magda": 2121, "lucca": 2321, "lucca-e-paye": 2322, "lucca-mprh": 2323}
    for port in (8022, 8470, 2222, 2223, 2224, 9990, 9991, 9992, *wanted.values()):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                pytest.skip(f"port {port} is taken (is a mockpartners up running?)")
    with up(tmp_path / "state", "--quiet") as running:
        served = {
            name: running.info[name].endpoint("ftpes" if name != "magda" else None).port for name in wanted
        }
        assert served == wanted
        assert [
            running.info[name].endpoint("sftp").port for name in ("lucca", "lucca-e-paye", "lucca-mprh")
        ] == [
            2222,
            2223,
            2224,
        ]
        assert running.info["onss"].endpoint().port == 8022


def test_journal_command_prints_filters_and_follows(tmp_path: Path) -> None:
    with up(tmp_path / "state", "--ports", "ephemeral", "--quiet") as running:
        state = str(running.state)
        follower = subprocess.Popen(
            [*COMMAND, "journal", "--state-dir", state, "--follow", "--kind", "session.*"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            onss = running.info["onss"]
            account = onss.account()
            listed = sftp_batch(onss.endpoint(), account.username, "ls\n", key=account.private_key)
            assert listed.returncode == 0, listed.stderr
            assert follower.stdout is not None
            assert "session.connect" in follower.stdout.readline()
        finally:
            follower.terminate()
            follower.wait(timeout=10)

        printed = run("journal", "--state-dir", state, "--kind", "auth.*", "--json")
        assert printed.returncode == 0
        (attempt,) = [json.loads(line) for line in printed.stdout.splitlines()]
        assert attempt["kind"] == "auth.attempt" and attempt["detail"]["method"] == "publickey"
        assert attempt["account"] == "EXP0000001" and attempt["client"].startswith("127.0.0.1:")
        last = run("journal", "--state-dir", state, "--last", "1")
        assert len(last.stdout.splitlines()) == 1


def _broken_profile(tmp_path: Path) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text("extends: onss\nfolders: [IN\n")
    return ["--profile", str(path)]


def _state_file(tmp_path: Path) -> list[str]:
    (tmp_path / "file").write_text("x")
    return ["--state-dir", str(tmp_path / "file")]


@pytest.mark.parametrize(
    ("make_arguments", "message"),
    [
        (lambda tmp: ["onsss"], "unknown partner 'onsss'"),
        (_broken_profile, "not valid YAML"),
        (
            lambda tmp: ["--set", "onss.pickup.delay=soon"],
            "--set onss.pickup.delay=soon: pickup.delay: not a duration",
        ),
        (lambda tmp: ["--set", "onss.pickup.delay"], "expected PARTNER.KEY=VALUE"),
        (_state_file, "exists and is not a directory"),
        (lambda tmp: ["--state-dir", "/sys/kernel/mockpartners"], "cannot use state directory"),
    ],
)
def test_bad_input_is_one_clear_line_and_status_2(
    tmp_path: Path, make_arguments: object, message: str
) -> None:
    arguments = make_arguments(tmp_path)  # type: ignore[operator]
    if "--state-dir" not in arguments:
        arguments += ["--state-dir", str(tmp_path / "state")]
    result = run("up", "--ports", "ephemeral", *arguments)
    assert result.returncode == 2
    assert result.stderr.startswith("mockpartners: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_and_locked_state_are_clear_errors(tmp_path: Path) -> None:
    with up(tmp_path / "state", "--ports", "ephemeral", "--quiet") as running:
        port = running.info["onss"].endpoint().port
        taken = run("up", "--state-dir", str(tmp_path / "other"), "--set", f"onss.endpoints.sftp.port={port}")
        assert taken.returncode == 2
        assert f"port {port} on 127.0.0.1 is already in use" in taken.stderr
        locked = run("up", "--state-dir", str(running.state), "--ports", "ephemeral")
        assert locked.returncode == 2
        assert "is in use by mockpartners pid" in locked.stderr
        assert "Traceback" not in taken.stderr + locked.stderr


def test_corrupt_key_file_is_reported_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with up(state, "--ports", "ephemeral", "--quiet"):
        pass
    key = state / "onss" / "credentials" / "host" / "ssh_host_rsa_key"
    key.write_bytes(b"\x00corrupt")
    result = run("up", "--state-dir", str(state), "--ports", "ephemeral")
    assert result.returncode == 2
    assert f"{key}: not a usable private key" in result.stderr
    assert key.read_bytes() == b"\x00corrupt"


def test_profiles_and_check(tmp_path: Path) -> None:
    listed = run("profiles")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "insee-aireppnet",
        "insee-pecoto",
        "insee-tedeco",
        "lucca",
        "lucca-e-paye",
        "lucca-mprh",
        "magda",
        "onss",
        "xfb",
    ]
    checked = run("check", "onss")
    assert checked.returncode == 0 and "onss: ok" in checked.stdout
    profile = tmp_path / "mine.yaml"
    profile.write_text("extends: onss\npickup:\n  delay: 1x\n")
    failed = run("check", str(profile))
    assert failed.returncode == 2 and f"{profile}, line 3: pickup.delay" in failed.stderr


def test_journal_without_a_state_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = run("journal", "--state-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "no journal in" in result.stderr


def test_environment_variables_configure_up_and_typos_are_refused(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "MOCKPARTNERS_STATE_DIR": str(tmp_path / "state"),
        "MOCKPARTNERS_PORTS": "ephemeral",
        "MOCKPARTNERS_PARTNERS": "onss",
        "MOCKPARTNERS_SET": "onss.pickup.delay=5m;onss.pickup.after_pickup=remove",
        "MOCKPARTNERS_QUIET": "true",
    }
    process = subprocess.Popen([*COMMAND, "up"], stdout=subprocess.PIPE, text=True, env=environment)
    assert process.stdout is not None
    assert process.stdout.readline().startswith("mockpartners: serving onss from ")
    info = SuiteInfo.load(tmp_path / "state" / "endpoints.json")
    assert list(info.partners) == ["onss"] and info["onss"].endpoint().port != 8022
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0

    for name, value, message in [
        ("MOCKPARTNERS_PORTZ", "x", "unknown environment variable MOCKPARTNERS_PORTZ"),
        ("MOCKPARTNERS_PORTS", "random", "MOCKPARTNERS_PORTS='random': expected nominal or ephemeral"),
        ("MOCKPARTNERS_SET", "onss.pickup.delay=soon", "pickup.delay: not a duration"),
    ]:
        result = subprocess.run(
            [*COMMAND, "up"], capture_output=True, text=True, timeout=60, env={**environment, name: value}
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("mockpartners: error: ") and message in result.stderr


def test_the_state_dir_may_come_before_the_command(tmp_path: Path) -> None:
    with up(tmp_path / "state", "--ports", "ephemeral", "--quiet") as running:
        state = str(running.state)
        status = run("--state-dir", state, "status")
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("mockpartners running") and state in status.stdout
        journal = run("--state-dir", state, "journal", "--last", "1", "--kind", "suite.start")
        assert journal.returncode == 0 and "suite.start" in journal.stdout
        after_wins = run("--state-dir", str(tmp_path / "elsewhere"), "journal", "--state-dir", state)
        assert after_wins.returncode == 0 and "suite.start" in after_wins.stdout


def test_unknown_partners_are_said_so_and_nothing_else_is_printed(tmp_path: Path) -> None:
    with up(tmp_path / "state", "--ports", "ephemeral", "--quiet") as running:
        line = error_line(run("journal", "--state-dir", str(running.state), "--partner", "nope"))
        assert line.endswith(
            f"no partner 'nope' in the journal of {running.state} "
            "(partners there: insee-aireppnet, insee-pecoto, insee-tedeco, lucca, lucca-e-paye, lucca-mprh, "
            "magda, onss, xfb)"
        )
        quiet = run("journal", "--state-dir", str(running.state), "--partner", "onss", "--kind", "fs.*")
        assert (quiet.returncode, quiet.stdout) == (0, "")  # a partner served here, with no such event
        line = error_line(run("scenario", "list", "foo", "--state-dir", str(running.state)))
        assert "foo" in line  # the API's refusal, and no "foo" printed before it
        listed = run("scenario", "list", "onss", "--state-dir", str(running.state))
        assert listed.returncode == 0 and listed.stdout.startswith("onss\n  off ")


def test_help_texts_show_no_markup() -> None:
    commands = ["", "up", "journal", "profiles", "check", "scenario", "scenario list", "scenario on"]
    commands += ["scenario off", "clock", "report", "drop", "reset", "status"]
    for command in commands:
        shown = run(*command.split(), "--help")
        assert shown.returncode == 0, shown.stderr
        assert "`" not in shown.stdout, f"mockpartners {command} --help:\n{shown.stdout}"
    assert run("--help").stdout.splitlines()[2].startswith("mockpartners: start the partners")


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (
            ["up", "--admin-port", "99999"],
            {},
            "argument --admin-port: expected a port number from 0 to 65535",
        ),
        (["up", "--admin-port", "-5"], {}, "argument --admin-port: expected a port number from 0 to 65535"),
        (["up", "--admin-port", "http"], {}, "argument --admin-port: expected a port number from 0 to 65535"),
        (["up"], {"MOCKPARTNERS_ADMIN_PORT": "99999"}, "MOCKPARTNERS_ADMIN_PORT='99999': expected a port"),
        (["up", "--set", "onss.endpoints.sftp.port=-5"], {}, "endpoints.sftp.port: Input should be greater"),
        (["up", "--set", "magda.endpoints.ftps.passive_ports=1-99999"], {}, "expected 1024 <= first <= last"),
        (
            ["status", "--url", "http://127.0.0.1:99999"],
            {},
            "argument --url: 'http://127.0.0.1:99999': the port",
        ),
        (["clock", "--url", "http://127.0.0.1:-5"], {}, "argument --url: 'http://127.0.0.1:-5': the port"),
    ],
)
def test_a_bad_port_is_one_line_and_leaves_the_state_dir_untouched(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], message: str
) -> None:
    state = tmp_path / "state"
    before = sorted((path, path.stat().st_mtime_ns) for path in state.rglob("*"))
    command, *options = arguments
    result = subprocess.run(
        [*COMMAND, command, "--state-dir", str(state), "--ports", "ephemeral", *options]
        if command == "up"
        else [*COMMAND, command, "--state-dir", str(state), *options],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **environment},
    )
    assert message in error_line(result)
    assert sorted((path, path.stat().st_mtime_ns) for path in state.rglob("*")) == before


def test_a_corrupt_account_key_or_a_lost_passphrase_stops_up_with_one_line(tmp_path: Path) -> None:
    """README: a corrupt key is reported, not replaced; an account's sample key as much as a host key."""
    state = tmp_path / "state"
    with up(state, "onss", "--ports", "ephemeral", "--quiet"):
        pass
    folder = state / "onss" / "credentials" / "accounts" / "UM0000002"
    (folder / "passphrase").rename(tmp_path / "passphrase")
    line = error_line(run("up", "onss", "--state-dir", str(state), "--ports", "ephemeral"))
    assert line == (
        f"mockpartners: error: {folder}/passphrase is missing: it holds the passphrase of "
        f"{folder}/id_ed25519; restore it, or move the key and its .pub away so that a new key and "
        "passphrase are generated"
    )
    (tmp_path / "passphrase").rename(folder / "passphrase")
    (folder / "id_ed25519").write_bytes(b"\x00corrupt")
    line = error_line(run("up", "onss", "--state-dir", str(state), "--ports", "ephemeral"))
    assert line.startswith(f"mockpartners: error: {folder}/id_ed25519: not a usable private key")
    assert (folder / "id_ed25519").read_bytes() == b"\x00corrupt"
