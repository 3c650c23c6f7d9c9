"""``mockpartners account``: a running partner's accounts, as Lucca's module edits them ("Créer un compte",
"Editer le compte", "Editer les dossiers distants"), through the admin API's account routes."""

from __future__ import annotations

import argparse
import urllib.parse
from pathlib import Path
from typing import Any

from ...model.errors import UsageError
from .client import AdminClient, route

__all__ = ["account_command", "add_account_command"]


def add_account_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], connection: argparse.ArgumentParser
) -> None:
    account = commands.add_parser(
        "account", help="list, create, change or remove a running partner's accounts"
    )
    actions = account.add_subparsers(dest="account_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[connection], help="the accounts, their types and folders")
    listing.add_argument("partner", metavar="PARTNER")
    for action, text in (("create", "a new account, usable at once"), ("change", "change what is given")):
        parser = actions.add_parser(action, parents=[connection], help=text)
        parser.add_argument("partner", metavar="PARTNER")
        parser.add_argument("username", metavar="LOGIN")
        parser.add_argument("--name", help="the account's name, as the partner's users see it")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password", help="its password (a command line is visible to other users)")
        secret.add_argument("--generate-password", action="store_true", help="generate one (printed)")
        parser.add_argument("--public-key", type=Path, metavar="FILE", help="an OpenSSH public key file")
        parser.add_argument(
            "--endpoint",
            dest="endpoints",
            action="append",
            metavar="NAME",
            help="a connection type it may use",
        )
        if action == "create":
            parser.add_argument("--preset", help="a preset of the profile (Lucca: lucca)")
            parser.add_argument(
                "--server",
                metavar="TYPE://LOGIN@HOST[:PORT]",
                help="hosted by the customer (Lucca's Serveur client): sftp, ftps or ftpes",
            )
            parser.add_argument("--server-password", metavar="PASSWORD", help="the login's password there")
            parser.add_argument("--server-key", metavar="FILE", help="the private key to log in there (SFTP)")
            parser.add_argument("--server-ca-file", metavar="FILE", help="the CA of its certificate (FTPS)")
        else:
            parser.add_argument("--login", help="a new login (its home and files follow)")
            parser.add_argument("--cut-sessions", action="store_true", help="also end its live sessions")
    remove = actions.add_parser("remove", parents=[connection], help="it can no longer log in")
    remove.add_argument("partner", metavar="PARTNER")
    remove.add_argument("username", metavar="LOGIN")
    remove.add_argument("--cut-sessions", action="store_true", help="also end its live sessions")
    _folder_actions(actions, connection)


def _folder_actions(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], connection: argparse.ArgumentParser
) -> None:
    add = actions.add_parser("folder-add", parents=[connection], help="a new remote folder, created at once")
    change = actions.add_parser("folder-change", parents=[connection], help="rename or move a remote folder")
    remove = actions.add_parser(
        "folder-remove", parents=[connection], help="forget a remote folder (files stay)"
    )
    for parser in (add, change, remove):
        parser.add_argument("partner", metavar="PARTNER")
        parser.add_argument("username", metavar="LOGIN")
    add.add_argument("name", metavar="NAME")
    add.add_argument("path", metavar="PATH", help="like /dossier1/dossier2")
    add.add_argument("--use", default="exchange", choices=["import", "export", "reports", "exchange"])
    for parser in (change, remove):
        parser.add_argument("folder", metavar="FOLDER", help="its name or path")
    change.add_argument("--name")
    change.add_argument("--path")
    change.add_argument("--use", choices=["import", "export", "reports", "exchange"])


def account_command(arguments: argparse.Namespace, client: AdminClient) -> int:
    action = arguments.account_action
    accounts = route("v1/partners", arguments.partner, "accounts")
    if action == "list":
        for account in client.get(accounts)["accounts"]:
            print(_line(account))
        return 0
    one = route("v1/partners", arguments.partner, "accounts", arguments.username)
    folders = one + "/remote-folders"
    if action == "create":
        body = {"username": arguments.username, **_fields(arguments)}
        if arguments.preset:
            body["preset"] = arguments.preset
        if arguments.server:
            body["server"] = _server(arguments)
        _show("created", client.json("POST", accounts, json_body=body), arguments.generate_password)
    elif action == "change":
        body = {**_fields(arguments), **({"cut_sessions": True} if arguments.cut_sessions else {})}
        if arguments.login:
            body["username"] = arguments.login
        _show("changed", client.json("PATCH", one, json_body=body), arguments.generate_password)
    elif action == "remove":
        cut = "true" if arguments.cut_sessions else "false"
        _show("removed", client.json("DELETE", one, query={"cut_sessions": cut}))
    elif action == "folder-add":
        body = {"name": arguments.name, "path": arguments.path, "use": arguments.use}
        _show("changed", client.json("POST", folders, json_body=body))
    elif action == "folder-change":
        body = {key: getattr(arguments, key) for key in ("name", "path", "use") if getattr(arguments, key)}
        _show("changed", client.json("PATCH", route(folders, arguments.folder), json_body=body))
    else:
        _show("changed", client.json("DELETE", route(folders, arguments.folder)))
    return 0


def _fields(arguments: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if arguments.name:
        fields["name"] = arguments.name
    if arguments.password:
        fields["password"] = arguments.password
    elif arguments.generate_password:
        fields["password"] = True
    if arguments.public_key:
        try:
            fields["public_keys"] = [arguments.public_key.read_text().strip()]
        except OSError as error:
            raise UsageError(f"cannot read {arguments.public_key}: {error.strerror or error}") from None
    if arguments.endpoints:
        fields["endpoints"] = arguments.endpoints
    return fields


def _server(arguments: argparse.Namespace) -> dict[str, Any]:
    """``sftp://login@host:port`` and the credentials, as the API's ``server`` object."""
    parts = urllib.parse.urlsplit(arguments.server)
    if not parts.scheme or not parts.hostname or not parts.username:
        raise UsageError(
            f"--server {arguments.server}: expected TYPE://LOGIN@HOST[:PORT], like sftp://paie@files.example.org"
        )
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"--server {arguments.server}: the port is not a number from 1 to 65535") from None
    server: dict[str, Any] = {
        "type": parts.scheme,
        "host": parts.hostname,
        "login": urllib.parse.unquote(parts.username),
    }
    extras = {"port": port, "password": arguments.server_password, "private_key": arguments.server_key,
              "ca_file": arguments.server_ca_file}  # fmt: skip
    return {**server, **{key: value for key, value in extras.items() if value is not None}}


def _line(account: dict[str, Any]) -> str:
    folders = ", ".join(f"{folder['path']} ({folder['use']})" for folder in account.get("remote_folders", []))
    name = f' "{account["name"]}"' if account.get("name") else ""
    where = (
        f"on the customer's server {account['server']}"
        if account.get("server")
        else f"{', '.join(account['endpoints'])} by {', '.join(account['auth'])}"
    )
    return f"{account['username']}{name}: {where}" + (f"; folders {folders}" if folders else "")


def _show(what: str, account: dict[str, Any], generated: bool = False) -> None:
    print(f"{what}: {_line(account)}")
    if generated and account.get("password"):
        print(f"password: {account['password']}")
