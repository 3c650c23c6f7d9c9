"""``MOCKPARTNERS_*`` environment variables for ``mockpartners up``: how containers and CI services are
configured. Command-line options win; an unknown or malformed variable is an error, never ignored, since a
misspelt variable in a compose file would otherwise silently change nothing.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

from ..model.errors import UsageError

__all__ = ["VARIABLES", "apply_environment"]

PREFIX = "MOCKPARTNERS_"
VARIABLES = {
    "MOCKPARTNERS_STATE_DIR": "the state directory (--state-dir)",
    "MOCKPARTNERS_PARTNERS": "partners to serve, separated by spaces or commas (PARTNER ...)",
    "MOCKPARTNERS_PORTS": "nominal or ephemeral (--ports)",
    "MOCKPARTNERS_HOST": "address to listen on (--host)",
    "MOCKPARTNERS_PROFILE": "profile files, separated by ';' (--profile)",
    "MOCKPARTNERS_SET": "profile values PARTNER.KEY=VALUE, separated by ';' or new lines (after --set)",
    "MOCKPARTNERS_SCENARIO": "scenarios PARTNER/NAME[:k=v,...], separated by ';' (--scenario)",
    "MOCKPARTNERS_ADMIN_PORT": "port of the admin API (--admin-port)",
    "MOCKPARTNERS_ADMIN_TOKEN": "bearer token of the admin API (--admin-token)",
    "MOCKPARTNERS_ADMIN_TOKEN_FILE": "a file holding the admin API's token (--admin-token-file)",
    "MOCKPARTNERS_ADMIN_ALLOWED_HOSTS": "Host names the admin API answers to, separated by spaces or commas "
    "(--admin-allowed-host)",
    "MOCKPARTNERS_MAIL_RELAY": "HOST:PORT of an SMTP relay partner mail also goes to (--mail-relay)",
    "MOCKPARTNERS_MAIL_PORT": "port of the mail outbox's SMTP sink (--mail-port)",
    "MOCKPARTNERS_QUIET": "true for one line instead of the cheat-sheet (--quiet)",
    "MOCKPARTNERS_IMAGE": "the image the pytest container fixture runs (not used by up)",
}


def _items(value: str, separators: str) -> list[str]:
    return [item.strip() for item in re.split(separators, value) if item.strip()]


def apply_environment(arguments: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Fill the ``up`` options the command line left at their defaults from ``MOCKPARTNERS_*``."""
    unknown = sorted(name for name in environ if name.startswith(PREFIX) and name not in VARIABLES)
    if unknown:
        known = ", ".join(VARIABLES)
        raise UsageError(f"unknown environment variable {', '.join(unknown)} (known: {known})")
    value = environ.get
    if value("MOCKPARTNERS_STATE_DIR") and arguments.state_dir == Path(".mockpartners"):
        arguments.state_dir = Path(value("MOCKPARTNERS_STATE_DIR", ""))
    if value("MOCKPARTNERS_PARTNERS") and not arguments.partners:
        arguments.partners = _items(value("MOCKPARTNERS_PARTNERS", ""), r"[\s,]+")
    if value("MOCKPARTNERS_PORTS") and arguments.ports == "nominal":
        ports = value("MOCKPARTNERS_PORTS", "").strip()
        if ports not in ("nominal", "ephemeral"):
            raise UsageError(f"MOCKPARTNERS_PORTS={ports!r}: expected nominal or ephemeral")
        arguments.ports = ports
    if value("MOCKPARTNERS_HOST") and arguments.host == "127.0.0.1":
        arguments.host = value("MOCKPARTNERS_HOST", "").strip()
    arguments.profile_files = _items(value("MOCKPARTNERS_PROFILE", ""), ";") + arguments.profile_files
    # applied after --set, so that an image's defaults (given as --set in its entrypoint) yield to the user
    arguments.settings = arguments.settings + _items(value("MOCKPARTNERS_SET", ""), r"[;\n]")
    arguments.scenarios = _items(value("MOCKPARTNERS_SCENARIO", ""), r"[;\n]") + arguments.scenarios
    if value("MOCKPARTNERS_ADMIN_PORT") and arguments.admin_port is None:
        port = value("MOCKPARTNERS_ADMIN_PORT", "").strip()
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise UsageError(f"MOCKPARTNERS_ADMIN_PORT={port!r}: expected a port number")
        arguments.admin_port = int(port)
    _apply_admin(arguments, environ)
    _apply_mail(arguments, environ)
    quiet = value("MOCKPARTNERS_QUIET", "").strip().lower()
    if quiet and quiet not in ("1", "true", "yes", "0", "false", "no"):
        raise UsageError(f"MOCKPARTNERS_QUIET={quiet!r}: expected true or false")
    arguments.quiet = arguments.quiet or quiet in ("1", "true", "yes")


def _apply_admin(arguments: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """The admin API's token (or the file holding it) unless the command line gave one, and the Host
    names it answers to."""
    token = environ.get("MOCKPARTNERS_ADMIN_TOKEN", "").strip()
    token_file = environ.get("MOCKPARTNERS_ADMIN_TOKEN_FILE", "").strip()
    if arguments.admin_token is None and arguments.admin_token_file is None:
        if token and token_file:
            raise UsageError(
                "MOCKPARTNERS_ADMIN_TOKEN and MOCKPARTNERS_ADMIN_TOKEN_FILE are both set: keep one"
            )
        arguments.admin_token = token or None
        arguments.admin_token_file = Path(token_file) if token_file else None
    hosts = _items(environ.get("MOCKPARTNERS_ADMIN_ALLOWED_HOSTS", ""), r"[\s,]+")
    arguments.admin_allowed_hosts = hosts + arguments.admin_allowed_hosts


def _apply_mail(arguments: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """The outbox's relay and port, unless the command line gave them."""
    relay = environ.get("MOCKPARTNERS_MAIL_RELAY", "").strip()
    if relay and arguments.mail_relay is None:
        arguments.mail_relay = relay
    port = environ.get("MOCKPARTNERS_MAIL_PORT", "").strip()
    if port and arguments.mail_port is None:
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise UsageError(f"MOCKPARTNERS_MAIL_PORT={port!r}: expected a port number")
        arguments.mail_port = int(port)
