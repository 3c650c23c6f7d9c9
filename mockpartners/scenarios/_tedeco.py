"""The scenarios of INSEE's TEDECO spool (TASK Collectivités' guide, I, "Maintenances TEDECO & Gex400"): a
mail in failure for a bad recipient address, a mail never opened (non acquitté after 80 hours), and the
agent that goes silent after 3 failed connections until its work folders are purged."""

from __future__ import annotations

from ._spec import Parameter, ScenarioSpec
from .names import AGENT_SILENT, BAD_RECIPIENT_ALIAS, NEVER_OPENED

__all__ = ["TEDECO_SPECS"]

_ACCOUNT = Parameter("account", "", "a collectivité's account (empty: every account)")

TEDECO_SPECS = [
    ScenarioSpec(
        BAD_RECIPIENT_ALIAS,
        "every mail taken from now on fails after its deposit, as sent to a bad recipient address",
        "the chrono goes prepared, deposited, then failed ('en échec (erreur dans l'adresse destinataire)')",
        needs_processor="tedeco",
        parameters=(_ACCOUNT,),
    ),
    ScenarioSpec(
        NEVER_OPENED,
        "the recipient never opens the mails taken from now on: no opening notice comes back",
        "the chrono stays diffused, then says not-acknowledged ('non acquitté') 80 hours after the deposit",
        needs_processor="tedeco",
        parameters=(_ACCOUNT,),
    ),
    ScenarioSpec(
        AGENT_SILENT,
        "the IP link to Atlas fails: each connection leaves a work file in tmpxted; after 3 failures the "
        "agent goes silent (takes nothing) until t, tmp and tmpxted are empty",
        "requests stay in ead/<space>/ untaken; a partner.silent event; purging the three folders wakes it",
        needs_processor="tedeco",
        parameters=(_ACCOUNT,),
    ),
]
