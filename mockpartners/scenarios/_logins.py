"""The logins Lucca's account scenarios refuse, asked by the account book at each login whatever the
protocol: the right password refused as wrong (``password-refused``), a connection type the account may use
refused as if it were not among its allowed types (``connection-type-refused``).

Lucca's help page, "Compte": an account has "un identifiant (login), un mot de passe" and "des types de
connexions autorisées". Each refusal's reason names the scenario, so the journal tells a trainer's staged
refusal from a client's real mistake; on the wire it is the protocol's own (SSH: authentication failed;
FTP: ``530``).
"""

from __future__ import annotations

from typing import Any

from ._state import Scenarios
from .names import CONNECTION_TYPE_REFUSED, PASSWORD_REFUSED

__all__ = ["connection_type_refusal", "password_refusal"]


def password_refusal(scenarios: Scenarios | None, username: str) -> str:
    """Why the right password of ``username`` is refused now ("" when it is not)."""
    parameters = scenarios.active(PASSWORD_REFUSED) if scenarios is not None else None
    if parameters is None or not aimed_at(parameters, username):
        return ""
    return f"wrong password (scenario {PASSWORD_REFUSED}: the account's right password, refused)"


def connection_type_refusal(scenarios: Scenarios | None, username: str, endpoint: str) -> str:
    """Why ``username`` may not log in on ``endpoint`` now, though the account allows it ("" if it may)."""
    parameters = scenarios.active(CONNECTION_TYPE_REFUSED) if scenarios is not None else None
    if parameters is None or parameters["endpoint"] != endpoint or not aimed_at(parameters, username):
        return ""
    return (
        f"account {username!r} may not use endpoint {endpoint!r} (scenario {CONNECTION_TYPE_REFUSED}: a "
        "connection type the account allows, refused as if it did not)"
    )


def aimed_at(parameters: dict[str, Any], username: str) -> bool:
    """Whether the scenario's ``account`` parameter takes in ``username`` (empty: every account)."""
    wanted = str(parameters.get("account", ""))
    return not wanted or wanted == username
