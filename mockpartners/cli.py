"""``mockpartners``: start the partners, read the journal, list and check profiles.

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
from pathlib import Path
from types import FrameType

from . import __version__
from .cheatsheet import render
from .config import builtin_names, load_profile, load_profiles
from .errors import MockPartnersError
from .journal import Journal, Query
from .state import DEFAULT_STATE_DIR, StateDir
from .suite import Suite

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockpartners", description=__doc__.splitlines()[0].strip("`"))
    parser.add_argument("--version", action="version", version=f"mockpartners {__version__}")
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
    return parser


def _state_dir(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="credentials, file trees and journal (default ./.mockpartners)",
    )


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
    stop = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGINT, signal.SIGTERM)}
    suite = Suite(
        arguments.partners,
        state_dir=arguments.state_dir,
        ports=arguments.ports,
        host=arguments.host,
        profile_files=arguments.profile_files,
        settings=arguments.settings,
        new_host_keys=arguments.new_host_keys,
    )
    try:
        suite.start()
        if not arguments.quiet:
            print(render(suite.info, _program()), flush=True)
        else:
            print(f"mockpartners: serving {', '.join(suite.partners)} from {suite.state.path}", flush=True)
        while not stop.wait(0.5):
            pass
        print("mockpartners: stopping", flush=True)
    finally:
        suite.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


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
        return _check(arguments)
    except MockPartnersError as error:
        print(f"mockpartners: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
