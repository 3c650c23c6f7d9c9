"""The scenarios of the XFB gateway (TASK Collectivités' guide): files sent too close together lost, a
partner not authorised, a double click that sends a file to state E, the gateway down."""

from __future__ import annotations

from ..model._http import HttpEndpoint
from ._spec import Parameter, ScenarioSpec
from .names import (
    DEPOSITS_TOO_CLOSE,
    DOUBLE_CLICK_TO_E,
    GATEWAY_DOWN,
    PARTNER_NOT_AUTHORISED,
    SESSION_EXPIRED,
)

__all__ = ["GATEWAY_SPECS"]

GATEWAY_SPECS = [
    ScenarioSpec(
        DEPOSITS_TOO_CLOSE,
        "a deposit within `interval` of the account's previous one is answered 'File received' and lost",
        "the page says 'File received', no mail comes, the file never reaches the treasury (guide D/4: "
        "'certains fichiers pouvaient être perdus si leurs transmissions étaient trop rapprochées')",
        needs_processor="deposits",
        parameters=(
            Parameter("interval", "30s", "the guide advises 30 s between deposits", 0, 3600, duration=True),
        ),
    ),
    ScenarioSpec(
        PARTNER_NOT_AUTHORISED,
        "every deposit is refused as a partner not authorised for the ordonnateur",
        "'File received', then the mail 'partenaire non autorisé pour un ordonnateur' (guide D/6)",
        needs_processor="deposits",
    ),
    ScenarioSpec(
        DOUBLE_CLICK_TO_E,
        "the next file fetched goes straight to state E, as after a double click",
        "the file is refused ('state E: call your S.A.U.') until it is made available again (guide B/3)",
        needs_processor="file-states",
    ),
    ScenarioSpec(
        GATEWAY_DOWN,
        "the gateway does not answer: nothing listens on its port",
        "connection refused (the scheduler's 'Connexion au serveur de transferts Gateway' fails)",
        endpoints=(HttpEndpoint,),
    ),
    ScenarioSpec(
        SESSION_EXPIRED,
        "every request is told its session expired, whatever its credentials",
        "a 401 page 'Session expired': log in again (the ILEX portal's session before the gateway)",
        endpoints=(HttpEndpoint,),
    ),
]
