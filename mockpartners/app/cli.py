"""``mockpartners``: start the partners, read the journal, list and check profiles, drive a running suite.

User errors (a bad profile, a taken port, an unusable state directory) print one line starting with
``mockpartners: error:`` and exit with status 2; a traceback means a bug of ours.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from ..infra.journal import Journal, Query
from ..infra.state import DEFAULT_STATE_DIR, StateDir
from ..kernel.suite import PORT_NUMBERS, checked_port
from ..model.errors import MockPartnersError, UsageError
from ..model.loading import builtin_names, load_profile, load_profiles
from ._environment import apply_environment
from .admin._commands import COMMANDS as ADMIN_COMMANDS
from .admin._commands import add_commands as add_admin_commands
from .admin.client import TOKEN_VARIABLE
from .cheatsheet import render
from .runtime import Runtime

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line errors of every other user mistake (``mockpartners: error: ...``, status
    2) instead of the usage text followed by ``mockpartners up: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"mockpartners: error: {message}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="mockpartners", description=__doc__.splitlines()[0].replace("``", "")
    )
    parser.add_argument("--version", action="version", version=f"mockpartners {version('mockpartners')}")
    _state_dir(parser, default=DEFAULT_STATE_DIR)  # before the command too: mockpartners --state-dir X status
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="serve partners until Ctrl-C (all built-in ones by default)")
    up.add_argument(
        "partners", nargs="*", metavar="PARTNER", help=f"built-in partners: {', '.join(builtin_names())}"
    )
    _state_dir(up)
    up.add_argument(
        "--ports",
        choices=["nominal", "ephemeral"],
        default="nominal",
        help="nominal: the partners' own ports (8022, ...); ephemeral: free ports, see endpoints.json",
    )
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    _profile_options(up)
    up.add_argument(
        "--new-host-keys",
        action="store_true",
        help="retire the host keys (kept in credentials/host/retired-*) and generate new ones",
    )
    up.add_argument("--quiet", action="store_true", help="print no cheat-sheet")
    _admin_options(up)
    _mail_options(up)

    journal = commands.add_parser("journal", help="print the journal of a state directory")
    _state_dir(journal)
    journal.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    journal.add_argument("--partner")
    journal.add_argument("--kind", help="event kind, or a prefix ending in * (fs.*)")
    journal.add_argument("--account")
    journal.add_argument("--path")
    journal.add_argument("--last", type=int, metavar="N", help="only the newest N events")
    journal.add_argument("--json", action="store_true", help="one JSON object per line")

    commands.add_parser("profiles", help="list the built-in partners")

    check = commands.add_parser(
        "check", help="validate profiles (built-in names or files) and print a summary"
    )
    check.add_argument("profiles", nargs="+", metavar="PARTNER_OR_FILE")
    check.add_argument("--set", dest="settings", action="append", default=[], metavar="PARTNER.KEY=VALUE")
    add_admin_commands(commands)
    return parser


def _admin_options(up: argparse.ArgumentParser) -> None:
    up.add_argument(
        "--admin-port",
        type=_port,
        metavar="N",
        help="port of the admin HTTP API (default 8470; with --ports ephemeral a free port)",
    )
    up.add_argument("--no-admin", action="store_true", help="serve no admin HTTP API")
    up.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help=f"require 'Authorization: Bearer TOKEN' on the admin API (default: ${TOKEN_VARIABLE}; "
        "a command line is visible to every user: prefer --admin-token-file); generated when the API "
        "listens beyond loopback",
    )
    up.add_argument(
        "--admin-token-file",
        type=Path,
        metavar="FILE",
        help="read the admin API's token from FILE (default: $MOCKPARTNERS_ADMIN_TOKEN_FILE)",
    )
    up.add_argument(
        "--admin-allowed-host",
        dest="admin_allowed_hosts",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the admin API answers to without a token, besides localhost and IP addresses "
        "('*': any); repeatable",
    )
    up.add_argument(
        "--scenario",
        dest="scenarios",
        action="append",
        default=[],
        metavar="PARTNER/NAME[:KEY=VALUE,...]",
        help="switch a scenario on at start, e.g. onss/answers-late:delay=10m; repeatable",
    )


def _mail_options(up: argparse.ArgumentParser) -> None:
    up.add_argument(
        "--mail-relay",
        metavar="HOST:PORT",
        help="also send partner mail to this SMTP server, e.g. a Mailpit (default: $MOCKPARTNERS_MAIL_RELAY)",
    )
    up.add_argument(
        "--mail-port",
        type=_port,
        metavar="N",
        help="port of the mail outbox's SMTP sink (default 2525; with --ports ephemeral a free port)",
    )


def _admin_token(arguments: argparse.Namespace) -> str | None:
    """The token given on the command line, in the environment, or in a file (--admin-token-file)."""
    if arguments.admin_token_file is None:
        return str(arguments.admin_token) if arguments.admin_token else None
    if arguments.admin_token:
        raise UsageError("give the admin token once: --admin-token or --admin-token-file, not both")
    path: Path = arguments.admin_token_file
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read the admin token file {path}: {reason or error}") from None
    if not token or not token.isprintable():
        raise UsageError(f"the admin token file {path} must hold the token on one line")
    return token


def _state_dir(command: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """After a command, the option keeps what was given before it unless given again (SUPPRESS: a command
    that does not see it sets nothing)."""
    command.add_argument(
        "--state-dir",
        type=Path,
        default=default,
        help="credentials, file trees and journal (default ./.mockpartners)",
    )


def _port(text: str) -> int:
    """The type of every option that takes a port: refused before anything touches the state directory."""
    try:
        return checked_port(int(text), "port")
    except (ValueError, UsageError):
        raise argparse.ArgumentTypeError(f"expected {PORT_NUMBERS}, got {text!r}") from None


def _profile_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--profile",
        dest="profile_files",
        action="append",
        default=[],
        metavar="FILE",
        help="a profile file (may say 'extends: onss'); repeatable",
    )
    command.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="PARTNER.KEY=VALUE",
        help="change one profile value, e.g. onss.pickup.delay=10m; repeatable",
    )


def _up(arguments: argparse.Namespace) -> int:
    apply_environment(arguments, os.environ)
    _private_files(StateDir(arguments.state_dir))
    stop = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop.set()

    scenarios = [_scenario_option(text) for text in arguments.scenarios]
    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGINT, signal.SIGTERM)}
    suite = Runtime(
        arguments.partners,
        state_dir=arguments.state_dir,
        ports=arguments.ports,
        host=arguments.host,
        profile_files=arguments.profile_files,
        settings=arguments.settings,
        new_host_keys=arguments.new_host_keys,
        admin=not arguments.no_admin,
        admin_port=arguments.admin_port,
        admin_token=_admin_token(arguments),
        admin_allowed_hosts=arguments.admin_allowed_hosts,
        mail_relay=arguments.mail_relay,
        mail_port=arguments.mail_port,
    )
    try:
        suite.start()
        for partner, name, parameters in scenarios:
            suite[partner].scenarios.on(name, **parameters)
        if not arguments.quiet:
            print(render(suite.info, _program()), flush=True)
        else:
            print(
                f"mockpartners: serving {', '.join(suite.partners)} from {suite.state.path}; "
                f"{_admin_summary(suite)}",
                flush=True,
            )
        while not stop.wait(0.5):
            pass
        print("mockpartners: stopping", flush=True)
    finally:
        suite.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def _private_files(state: StateDir) -> None:
    """What ``up`` creates is this user's only (umask 077), whatever the umask it was started with: homes,
    journal and keys live under a private state directory. A directory that belongs to another user is
    shared on purpose (a container's mounted volume): there files stay readable by others, never writable.
    Only the command does this: a library never changes its host process's umask."""
    started_with = os.umask(0o077)
    if state.belongs_to_another_user():
        os.umask(started_with | 0o022)


def _admin_summary(suite: Runtime) -> str:
    """Where the admin API listens (scenario, clock, report, drop, reset and status talk to it)."""
    info = suite.info.admin
    if info is None:
        return "no admin API (--no-admin)"
    token = f", token in {info.token_file}" if info.token_file else ""
    return f"admin API at {info.url} (OpenAPI {info.openapi}{token})"


def _scenario_option(text: str) -> tuple[str, str, dict[str, Any]]:
    """``--scenario onss/answers-late:delay=10m,...`` as (partner, scenario, parameters)."""
    target, _, settings = text.partition(":")
    partner, separator, name = target.partition("/")
    if not separator or not partner.strip() or not name.strip():
        raise UsageError(f"--scenario {text}: expected PARTNER/NAME[:KEY=VALUE,...], e.g. onss/answers-late")
    parameters: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in settings.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--scenario {text}: expected KEY=VALUE after the colon, got {item!r}")
        parameters[key.strip()] = value.strip()
    return partner.strip(), name.strip(), parameters


def _program() -> str:
    """The command as the user typed it (``.venv/bin/mockpartners``, ``python -m mockpartners``)."""
    invoked = sys.argv[0] if sys.argv else ""
    if invoked.endswith("__main__.py"):
        return f"{shlex.quote(sys.executable)} -m mockpartners"
    if os.sep in invoked and shutil.which("mockpartners") != os.path.abspath(invoked):
        return shlex.quote(os.path.abspath(invoked))
    return "mockpartners"


def _journal(arguments: argparse.Namespace) -> int:
    state = StateDir(arguments.state_dir)
    if not state.journal_path.exists():
        raise MockPartnersError(f"no journal in {state.path}: start the suite there first (mockpartners up)")
    journal = Journal(state.journal_path, read_only=True)
    if arguments.partner is not None:
        _known_partner(journal, arguments.partner, state.path)
    query = Query(
        kind=arguments.kind, partner=arguments.partner, account=arguments.account, path=arguments.path
    )
    events = journal.events(query, limit=arguments.last)
    for event in events:
        _print_event(event, as_json=arguments.json)
    if arguments.follow:
        after = events[-1].id if events else journal.last_id()
        try:
            for event in journal.follow(Query(**{**query.__dict__, "after": after})):
                _print_event(event, as_json=arguments.json)
        except KeyboardInterrupt:
            pass
    return 0


def _known_partner(journal: Journal, partner: str, state: Path) -> None:
    """A partner no suite ever served here is a typo, not a quiet journal: say so, and which ones it holds."""
    starts = journal.events(kind="suite.start")
    served = {name for event in starts for name in event.detail.get("partners", [])}
    if partner not in served:
        shown = ", ".join(sorted(served)) or "none yet"
        raise UsageError(f"no partner {partner!r} in the journal of {state} (partners there: {shown})")


def _print_event(event: object, *, as_json: bool) -> None:
    text = json.dumps(event.to_dict(), ensure_ascii=False) if as_json else str(event)  # type: ignore[attr-defined]
    print(text, flush=True)


def _profiles() -> int:
    for name in builtin_names():
        profile = load_profile(name)
        ports = ", ".join(f"{spec.protocol} {spec.port}" for spec in profile.endpoints.values())
        print(f"{name:<10} {profile.title} [{ports}]")
    return 0


def _check(arguments: argparse.Namespace) -> int:
    names = [item for item in arguments.profiles if item in builtin_names()]
    files = [item for item in arguments.profiles if item not in names]
    for profile in load_profiles(names, files, arguments.settings):
        print(
            f"{profile.name}: ok ({len(profile.endpoints)} endpoint(s), {len(profile.accounts)} account(s), "
            f"{len(profile.folders)} folder(s))"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "up":
            return _up(arguments)
        if arguments.command == "journal":
            return _journal(arguments)
        if arguments.command == "profiles":
            return _profiles()
        if arguments.command in ADMIN_COMMANDS:
            return ADMIN_COMMANDS[arguments.command](arguments)
        return _check(arguments)
    except MockPartnersError as error:
        print(f"mockpartners: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
