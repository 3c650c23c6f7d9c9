"""The commands that drive a running suite through its admin API: scenario, clock, report, drop, reset,
status, account and mail. They find the API and its token in ``STATE/endpoints.json``, or take ``--url``
and ``--token``, so they work as well against a suite in a container as against one on this machine.

Failures are :class:`~mockpartners.model.errors.MockPartnersError` s: ``mockpartners.app.cli`` prints
them as one line and exits with status 2. ``report`` exits with status 1 when the contract is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...model.errors import UsageError
from ._account_commands import account_command, add_account_command
from ._mail_commands import add_mail_command, mail_command
from .client import TOKEN_VARIABLE, AdminClient, route

__all__ = ["COMMANDS", "add_commands"]

CLOCK_ACTIONS = ("show", "advance", "freeze", "unfreeze", "reset")


def _connection() -> argparse.ArgumentParser:
    """Options every command shares: where the running suite is."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--state-dir",
        type=Path,
        default=argparse.SUPPRESS,  # given before the command, or ./.mockpartners (mockpartners.app.cli)
        help="the state directory of the running suite (default ./.mockpartners)",
    )
    options.add_argument(
        "--url", type=_url, help="the admin API's address instead, e.g. http://127.0.0.1:8470"
    )
    options.add_argument(
        "--token", help=f"the bearer token (default: the suite's token file, then ${TOKEN_VARIABLE})"
    )
    return options


def _url(text: str) -> str:
    """An http(s) address whose port, if any, is a port: refused before any request is made."""
    parts = urllib.parse.urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: the port is not a number from 1 to 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"expected an address like http://127.0.0.1:8470, got {text!r}")
    return text


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connection = _connection()
    scenario = commands.add_parser("scenario", help="list a running suite's scenarios, switch one on or off")
    actions = scenario.add_subparsers(dest="scenario_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[connection], help="the scenarios and which are on")
    listing.add_argument("partner", nargs="?", metavar="PARTNER")
    on = actions.add_parser("on", parents=[connection], help="switch a scenario on")
    on.add_argument("partner", metavar="PARTNER")
    on.add_argument("name", metavar="NAME")
    on.add_argument(
        "--param", dest="parameters", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    off = actions.add_parser("off", parents=[connection], help="switch a scenario off")
    off.add_argument("partner", metavar="PARTNER")
    off.add_argument("name", metavar="NAME")

    clock = commands.add_parser(
        "clock", parents=[connection], help="show, advance, freeze, unfreeze or reset the virtual clock"
    )
    clock.add_argument("action", nargs="?", choices=CLOCK_ACTIONS, default="show")
    clock.add_argument("value", nargs="?", metavar="DURATION_OR_ISO", help="advance 61d; freeze [ISO]")

    report = commands.add_parser(
        "report", parents=[connection], help="the contract report; exit status 1 when it is broken"
    )
    report.add_argument("--partner", metavar="PARTNER", help="one partner (default: all)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--junit", type=Path, metavar="FILE", help="also write it as JUnit XML to FILE")

    drop = commands.add_parser(
        "drop", parents=[connection], help="put a file in an account's home, as the partner"
    )
    drop.add_argument("partner", metavar="PARTNER")
    drop.add_argument("path", metavar="PATH", help="home-relative, e.g. IN/DMFA.1.xml or OUT/X.ACK")
    drop.add_argument("--from", dest="source", required=True, metavar="FILE", help="the content ('-': stdin)")
    drop.add_argument("--account", help="the account (default: the partner's first one)")

    for name, text, accounts in (
        ("export", "run a partner's exports now (Lucca's absences export)", "every account"),
        ("exchange", "connect to the customers' own servers now (Lucca's Serveur client)", "every one"),
        ("scan", "scan a request spool now (INSEE's TEDECO)", "every account"),
    ):
        action = commands.add_parser(name, parents=[connection], help=text)
        action.add_argument("partner", metavar="PARTNER")
        action.add_argument("--account", help=f"one account (default: {accounts})")

    available = commands.add_parser(
        "make-available",
        parents=[connection],
        help="a file back in state B (the XFB gateway's remise a disposition, after a double click)",
    )
    available.add_argument("partner", metavar="PARTNER")
    available.add_argument("account", metavar="ACCOUNT")
    available.add_argument("name", metavar="FILE")

    reset = commands.add_parser("reset", parents=[connection], help="partners back to fresh (journal kept)")
    reset.add_argument(
        "partner", nargs="?", metavar="PARTNER", help="one partner (default: all, and the clock)"
    )

    commands.add_parser(
        "status", parents=[connection], help="what a running suite serves, its clock and scenarios"
    )
    add_account_command(commands, connection)
    add_mail_command(commands, connection)


def _client(arguments: argparse.Namespace) -> AdminClient:
    if arguments.url:
        return AdminClient(arguments.url, arguments.token or os.environ.get(TOKEN_VARIABLE) or None)
    return AdminClient.from_state(arguments.state_dir, token=arguments.token)


# -- scenario ---------------------------------------------------------------------------------------------


def _key_values(items: list[str], option: str) -> dict[str, str]:
    values = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"{option} {item}: expected KEY=VALUE")
        values[key.strip()] = value.strip()
    return values


def _shown(parameters: dict[str, Any]) -> str:
    return f" ({', '.join(f'{key}={value}' for key, value in parameters.items())})" if parameters else ""


def _scenario(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    if arguments.scenario_action == "list":
        names = [arguments.partner] if arguments.partner else client.get("/health")["partners"]
        lines = []  # printed once every request succeeded: a refusal is the only thing shown
        for partner in names:
            lines.append(partner)
            for scenario in client.get(route("v1/partners", partner, "scenarios"))["scenarios"]:
                state = "on " if scenario["active"] else "off"
                marks = _shown(scenario["parameters"]) + (" [profile]" if scenario["by_profile"] else "")
                lines.append(f"  {state} {scenario['name']:<30} {scenario['description']}{marks}")
        print("\n".join(lines))
        return 0
    path = route("v1/partners", arguments.partner, "scenarios", arguments.name)
    if arguments.scenario_action == "on":
        body = {"parameters": _key_values(arguments.parameters, "--param")}
        info = client.json("PUT", path, json_body=body)
    else:
        info = client.json("DELETE", path)
    state = "on" if info["active"] else "off"
    print(f"{arguments.partner}: {info['name']} is {state}{_shown(info['parameters'])}")
    return 0


# -- clock ------------------------------------------------------------------------------------------------


def _clock_line(state: dict[str, Any]) -> str:
    how = "frozen" if state["frozen"] else "running, shifted" if state["shifted"] else "running, wall clock"
    return f"{state['now']} ({how})"


def _clock(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    action, value = arguments.action, arguments.value
    if action == "advance" and not value:
        raise UsageError("clock advance needs a duration, e.g. mockpartners clock advance 61d")
    if value and action not in ("advance", "freeze"):
        raise UsageError(f"clock {action} takes no value (got {value!r})")
    if action == "show":
        state = client.get("/v1/clock")
    elif action == "advance":
        state = client.post("/v1/clock/advance", {"by": value})
    elif action == "freeze":
        state = client.post("/v1/clock/freeze", {"at": value} if value else {})
    else:
        state = client.post(f"/v1/clock/{action}")
    print(_clock_line(state))
    return 0


# -- report -----------------------------------------------------------------------------------------------


def _report(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    query = {"partner": arguments.partner}
    reply = client.request(
        "GET", "/v1/report", query={**query, "format": "json" if arguments.json else "text"}
    )
    if arguments.json:
        print(json.dumps(reply.json(), indent=2, ensure_ascii=False))
    else:
        print(reply.text, end="")
    if arguments.junit is not None:
        junit = client.request("GET", "/v1/report", query={**query, "format": "junit"})
        try:
            arguments.junit.write_bytes(junit.body)
        except OSError as error:
            raise UsageError(f"cannot write {arguments.junit}: {error.strerror or error}") from None
    return 0 if reply.headers.get("X-Contract-Passed") == "true" else 1


# -- drop, reset, status ----------------------------------------------------------------------------------


def _content(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None


def _drop(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    data = _content(arguments.source)
    account = arguments.account
    if account is None:
        account = client.get(route("v1/partners", arguments.partner))["accounts"][0]["username"]
    path = route("v1/partners", arguments.partner, "accounts", account, "files", arguments.path)
    event = client.json("PUT", path, data=data)["event"]
    taken = " (an inbox: the partner takes it like an upload)" if "arrival" in event["detail"] else ""
    print(f"{arguments.partner}: {event['path']} dropped in {account}'s home, event #{event['id']}{taken}")
    return 0


def _for_an_account(arguments: argparse.Namespace, action: str) -> list[dict[str, Any]]:
    """POST to a partner's ``action`` route (exports, exchanges), for ``--account`` or every account."""
    body = {"account": arguments.account} if arguments.account else {}
    events: list[dict[str, Any]] = _client(arguments).post(
        route("v1/partners", arguments.partner, action), body
    )["events"]
    return events


def _scan(arguments: argparse.Namespace) -> int:
    events = _for_an_account(arguments, "scans")
    for event in events:
        print(f"{arguments.partner}: {event['kind']} {event['path'] or ''} in {event['account']}'s spool")
    if not events:
        print(f"{arguments.partner}: no request waiting (nothing taken)")
    return 0


def _export(arguments: argparse.Namespace) -> int:
    events = _for_an_account(arguments, "exports")
    for event in events:
        where = f"{event['path']} in {event['account']}'s home"
        print(f"{arguments.partner}: exported {where}, event #{event['id']}")
    if not events:
        print(f"{arguments.partner}: no export folder (nothing exported)")
    return 0


def _exchange(arguments: argparse.Namespace) -> int:
    events = _for_an_account(arguments, "exchanges")
    for event in events:
        outcome = (
            "" if event["outcome"] == "ok" else f" {event['outcome']}: {event['detail'].get('message', '')}"
        )
        print(f"{arguments.partner}: {event['kind']} {event.get('path') or ''} ({event['account']}){outcome}")
    failed = any(event["kind"] == "partner.exchange" and event["outcome"] != "ok" for event in events)
    return 1 if failed else 0


def _make_available(arguments: argparse.Namespace) -> int:
    path = route("v1/partners", arguments.partner, "accounts", arguments.account, "available", arguments.name)
    event = _client(arguments).post(path)["event"]
    ident = event["detail"]["local_ident"]
    print(f"{arguments.partner}: {event['path']} in state B again (local_ident {ident})")
    return 0


def _reset(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    if arguments.partner:
        done = client.post(route("v1/partners", arguments.partner, "reset"))
        print(f"reset {arguments.partner} (journal kept, last event #{done['last_id']})")
    else:
        done = client.post("/v1/reset")
        partners = ", ".join(done["reset"])
        print(f"reset {partners} and the clock (journal kept, last event #{done['last_id']})")
    return 0


def _status(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    info = client.get("/v1/endpoints")
    print(f"mockpartners {info['status']} (pid {info['pid']}), state in {info['state_dir']}")
    print(f"admin API: {client.url} (OpenAPI: {client.url}/openapi.json)")
    print(f"clock: {_clock_line(client.get('/v1/clock'))}")
    journal = client.get("/health").get("journal") or {}
    if journal.get("failing"):
        print(f"journal: cannot write ({journal['failing']}); {journal.get('pending')} events wait in memory")
    started = client.get("/v1/journal", kind="suite.start", limit=1)["events"]
    since = started[0]["id"] if started else 0
    for name, partner in info["partners"].items():
        addresses = ", ".join(
            f"{endpoint['protocol']}://{endpoint['host']}:{endpoint['port']}/"
            for endpoint in partner["endpoints"].values()
        )
        scenarios = client.get(route("v1/partners", name, "scenarios"))["scenarios"]
        active = [item["name"] + _shown(item["parameters"]) for item in scenarios if item["active"]]
        print(f"{name}: {addresses}; scenarios on: {', '.join(active) or 'none'}")
        errors = client.get("/v1/journal", kind="partner.error", partner=name, after=since)["events"]
        if errors:
            last = errors[-1]
            print(
                f"  partner-side errors since start: {len(errors)} (last: #{last['id']} "
                f"{last['detail'].get('job')}: {last['detail'].get('error')})"
            )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "scenario": _scenario,
    "clock": _clock,
    "report": _report,
    "export": _export,
    "exchange": _exchange,
    "scan": _scan,
    "make-available": _make_available,
    "drop": _drop,
    "reset": _reset,
    "status": _status,
    "account": lambda arguments: account_command(arguments, _client(arguments)),
    "mail": lambda arguments: mail_command(arguments, _client(arguments)),
}
