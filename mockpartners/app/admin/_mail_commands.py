"""``mockpartners mail``: the running suite's outbox (docs/mail.md) through the admin API's mail routes.

``list`` and ``wait`` print one line per mail; ``show`` prints the mail as a reader sees it (or the stored
``.eml`` with ``--raw``), which the outbox journals as a read (``mail.read``, reader ``cli``); ``wait``
waits on the suite's journal, server side, never polling here.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ...model.errors import UsageError
from .client import AdminClient, route

__all__ = ["add_mail_command", "mail_command"]

_SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "X-Mockpartners-Partner")
READER = "cli"
"""Who reads a mail ``mail show`` prints (``mail.read``'s reader)."""
_WAIT_MARGIN = 10.0
"""Seconds the request may take beyond the wait itself."""


def add_mail_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], connection: argparse.ArgumentParser
) -> None:
    mail = commands.add_parser("mail", help="list, show, wait for or clear the mails in the suite's outbox")
    actions = mail.add_subparsers(dest="mail_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[connection], help="the mails, oldest first")
    _filters(listing)
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    show = actions.add_parser("show", parents=[connection], help="one mail: headers, text, attachments")
    show.add_argument("id", metavar="ID", help="the mail's id, as mail list shows it")
    show.add_argument("--raw", action="store_true", help="print the stored .eml as it is")
    wait = actions.add_parser("wait", parents=[connection], help="wait for a mail to reach the outbox")
    _filters(wait)
    wait.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="at most 120 (default 10)"
    )
    actions.add_parser("clear", parents=[connection], help="empty the outbox")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", metavar="ADDRESS", help="a part of a recipient's address")
    parser.add_argument("--subject", metavar="TEXT", help="a part of the subject")
    parser.add_argument("--partner", metavar="PARTNER", help="the partner that sent it")
    parser.add_argument("--after", metavar="ID", help="only mails with a later id")


def _query(arguments: argparse.Namespace) -> dict[str, str | None]:
    return {name: getattr(arguments, name) for name in ("to", "subject", "partner", "after")}


def _line(mail: dict[str, Any]) -> str:
    sender = f" [{mail['partner']}]" if mail["partner"] else ""
    recipients = ", ".join(mail["recipients"]) or mail["to"]
    return f"{mail['id']}  {mail['date'] or '-'}  {mail['from']} -> {recipients}{sender}  {mail['subject']}"


def mail_command(arguments: argparse.Namespace, client: AdminClient) -> int:
    action = arguments.mail_action
    if action == "list":
        mails = client.get("/v1/mail", **_query(arguments))["mails"]
        if arguments.json:
            print(json.dumps(mails, indent=2, ensure_ascii=False))
        else:
            print("\n".join(_line(mail) for mail in mails) if mails else "the outbox is empty")
        return 0
    if action == "wait":
        query = {**_query(arguments), "timeout": arguments.timeout}
        reply = client.request("GET", "/v1/mail/wait", query=query, timeout=arguments.timeout + _WAIT_MARGIN)
        print(_line(reply.json()))
        return 0
    if action == "clear":
        print(f"cleared {client.json('DELETE', '/v1/mail')['cleared']} mail(s) from the outbox")
        return 0
    if not arguments.id.isdigit():
        raise UsageError(f"mail show {arguments.id}: expected a mail id like 000001 (mail list shows them)")
    if arguments.raw:
        eml = route("v1/mail", f"{arguments.id}.eml")
        sys.stdout.buffer.write(client.request("GET", eml, query={"reader": READER}).body)
        sys.stdout.flush()
        return 0
    _print_mail(client.get(route("v1/mail", arguments.id), reader=READER))
    return 0


def _print_mail(mail: dict[str, Any]) -> None:
    for name, value in mail["headers"]:
        if name in _SHOWN_HEADERS:
            print(f"{name}: {value}")
    print()
    print(mail["text"].rstrip("\n"))
    for attachment in mail["attachments"]:
        print(
            f"[attachment] {attachment['filename'] or '(no name)'} ({attachment['content_type']}, "
            f"{attachment['size']} bytes)"
        )
