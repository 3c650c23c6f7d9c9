"""``python -m bench``: measure mockpartners beside sshd and vsftpd, print the table, write the JSON.

Every server runs on 127.0.0.1 only, started by the bench with configs of its own in a temporary folder
and stopped at the end, whatever happens. docs/performance.md explains each figure.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockpartners.model.errors import MockPartnersError

from . import SECTIONS
from ._answers import measure_answers
from ._common import BenchError, Options, parse_size, program
from ._fixtures import RESETS_PER_START, measure_fixtures
from ._http import measure_http
from ._instrumentation import instrumentation_rows
from ._outbox import measure_outbox
from ._references import Sshd, Vsftpd
from ._report import Row, machine, rows_json, text_table, update_docs, write_json
from ._rows import (
    answer_rows,
    deposit_rows,
    fixture_rows,
    outbox_rows,
    session_rows,
    smtp_rows,
    startup_rows,
    throughput_rows,
)
from ._servers import Bare, Credentials, Ours, implicit_magda, prepare_credentials
from ._sessions import measure_sessions
from ._smtp import measure_smtp
from ._startup import measure_startup
from ._throughput import Server, Transfers, measure_ftps, measure_sftp

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"
DOCS = ROOT / "docs" / "performance.md"
CIPHERS = "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com"
_QUICK = {
    "size": "4M",
    "sessions": 10,
    "answers": 5,
    "rounds": 1,
    "startups": 1,
    "ciphers": "aes128-gcm@openssh.com",
    "deposits": 10,
    "mails": 10,
}
_FULL = {
    "size": "256M",
    "sessions": 200,
    "answers": 200,
    "rounds": 7,
    "startups": 5,
    "ciphers": CIPHERS,
    "deposits": 200,
    "mails": 500,
}
_PROGRAMS = {
    "sftp": ("sftp", "sshd"),
    "ftps": ("curl", "vsftpd"),
    "instrumentation": ("sftp", "curl"),
    "sessions": ("sshd",),
    "startup": ("sshd", "vsftpd"),
    "answers": ("sftp",),
    "http": ("curl",),
    "outbox": (),
    "smtp": (),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0].strip("`"))
    parser.add_argument("--size", help=f"the large file's size (default {_FULL['size']})")
    parser.add_argument("--sessions", type=int, help=f"concurrent sessions (default {_FULL['sessions']})")
    parser.add_argument("--answers", type=int, help=f"requests for the answer latency ({_FULL['answers']})")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds per measure, alternating servers ({_FULL['rounds']})"
    )
    parser.add_argument("--startups", type=int, help=f"starts per start-up measure ({_FULL['startups']})")
    parser.add_argument("--deposits", type=int, help=f"small XFB deposits per round ({_FULL['deposits']})")
    parser.add_argument("--mails", type=int, help=f"mails per round through the outbox ({_FULL['mails']})")
    parser.add_argument("--ciphers", help=f"SFTP ciphers, comma-separated (default {CIPHERS})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one round (the smoke test)")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, metavar="NAME", help=f"one of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the results")
    parser.add_argument("--update-docs", action="store_true", help=f"put the table into {DOCS.name}")
    parser.add_argument("--workdir", type=Path, help="keep servers' files here (default: a temporary folder)")
    return parser


def _options(arguments: argparse.Namespace, workdir: Path) -> Options:
    base = _QUICK if arguments.quick else _FULL

    def pick(name: str) -> Any:
        value = getattr(arguments, name)
        return base[name] if value is None else value

    options = Options(
        size=parse_size(str(pick("size"))),
        sessions=int(pick("sessions")),
        answers=int(pick("answers")),
        rounds=int(pick("rounds")),
        startups=int(pick("startups")),
        ciphers=tuple(name.strip() for name in str(pick("ciphers")).split(",") if name.strip()),
        workdir=workdir,
        quick=arguments.quick,
        deposits=int(pick("deposits")),
        mails=int(pick("mails")),
    )
    counts = (options.size, options.sessions, options.answers, options.rounds, options.startups)
    if min(*counts, options.deposits, options.mails) < 1:
        raise BenchError(
            "--size, --sessions, --answers, --rounds, --startups, --deposits and --mails must be at least 1"
        )
    return options


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _throughput(
    protocol: str, options: Options, state: Path, credentials: Credentials, reference: bool
) -> Transfers:
    """Ours, the reference and the bare library, in the same rounds; for FTPS with the reference, also
    ours and vsftpd with implicit TLS (the bare library is measured with explicit TLS only)."""
    if protocol == "sftp":
        servers: list[Server] = [Ours(state, "onss")]
        servers += [Sshd(options.workdir, credentials)] if reference else []
        servers.append(Bare(options.workdir, protocol, credentials))
        return measure_sftp(options, servers, credentials)
    servers = [Ours(state, "magda")]
    servers += [Vsftpd(options.workdir, credentials)] if reference else []
    servers.append(Bare(options.workdir, protocol, credentials))
    if reference:
        servers += [implicit_magda(state), Vsftpd(options.workdir, credentials, implicit=True)]
    return measure_ftps(options, servers, credentials)


def run(sections: Sequence[str], options: Options) -> tuple[list[Row], dict[str, Any]]:
    """Run the sections asked for; return the table's rows (in SECTIONS order) and the raw results.

    The short sections run first: start-up times, which a busy machine shifts most, while it is calmest.
    """
    state = options.workdir / "state"
    credentials = prepare_credentials(state)
    rows: dict[str, list[Row]] = {}
    raw: dict[str, Any] = {}
    if "startup" in sections:
        _say(f"start-up times, {options.startups} start(s) each")
        raw["startup"] = measure_startup(options, state, credentials)
        _say(f"per-test fixture cost, {options.startups * RESETS_PER_START} reset(s) per partner")
        raw["startup"]["fixtures"] = measure_fixtures(options, state)
        rows["startup"] = startup_rows(raw["startup"]) + fixture_rows(raw["startup"]["fixtures"])
    if "answers" in sections:
        _say(f"answer latency, {options.answers} request(s)")
        raw["answers"] = measure_answers(options, state)
        rows["answers"] = answer_rows(raw["answers"])
    if "smtp" in sections:
        _say(f"SMTP intake, {options.rounds} round(s)")
        raw["smtp"] = measure_smtp(options, state)
        rows["smtp"] = smtp_rows(raw["smtp"])
    if "sessions" in sections:
        _say(f"{options.sessions} concurrent sessions, {options.rounds} round(s)")
        raw["sessions"] = measure_sessions(options, state, credentials)
        rows["sessions"] = session_rows(raw["sessions"])
    if "http" in sections:
        _say(f"XFB deposits over HTTP, {options.size / 2**20:g} MiB and {options.deposits} small per round")
        deposits = measure_http(options, state)
        raw["http"] = deposits.to_json()
        rows["http"] = deposit_rows(deposits)
    if "outbox" in sections:
        _say(f"mails through the outbox, {options.mails} per round, {options.rounds} round(s)")
        raw["outbox"] = measure_outbox(options, state)
        rows["outbox"] = outbox_rows(raw["outbox"])
    transfers: list[Transfers] = []
    size = f"{options.size / 2**20:g} MiB"
    for protocol in ("sftp", "ftps"):
        if protocol in sections or "instrumentation" in sections:
            _say(f"{protocol.upper()} throughput, {size}, {options.rounds} round(s)")
            result = _throughput(protocol, options, state, credentials, reference=protocol in sections)
            transfers.append(result)
            raw[protocol] = result.to_json()
            if protocol in sections:
                rows[protocol] = throughput_rows(result)
    if "instrumentation" in sections:
        rows["instrumentation"] = instrumentation_rows(transfers)
        raw["instrumentation"] = {"derived_from": [t.protocol for t in transfers]}
    return [row for name in SECTIONS for row in rows.get(name, [])], raw


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    sections = [name for name in SECTIONS if not arguments.only or name in arguments.only]
    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="mockpartners-bench-"))
    try:
        if arguments.update_docs and (arguments.quick or arguments.only):
            raise BenchError("--update-docs keeps the full table: run without --quick and --only")
        for name in sorted({tool for section in sections for tool in _PROGRAMS[section]}):
            program(name)
        workdir.mkdir(parents=True, exist_ok=True)
        options = _options(arguments, workdir)
        about = machine()
        began = time.perf_counter()
        rows, raw = run(sections, options)
        about["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
        about["seconds"] = round(time.perf_counter() - began, 1)
        document: dict[str, Any] = {
            "command": command,
            "machine": about,
            "options": {**options.__dict__, "workdir": str(options.workdir)},
            "sections": raw,
            "rows": rows_json(rows),
            "targets": {
                "met": sum(1 for row in rows if row.met is True),
                "missed": sum(1 for row in rows if row.met is False),
            },
        }
        write_json(arguments.json, document)
        print(text_table(rows))
        missed = document["targets"]["missed"]
        print(f"\n{document['targets']['met']} target(s) met, {missed} missed; JSON in {arguments.json}")
        if arguments.update_docs:
            update_docs(DOCS, rows, about, command)
            print(f"table written to {DOCS}")
        return 0
    except (BenchError, MockPartnersError) as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        if arguments.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
