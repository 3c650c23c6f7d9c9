"""What the XFB gateway does with a deposit (TASK Collectivités' guide, D/6, "Différents méls générés par le
serveur XFB/Gateway"): a deposit to a pair the ordonnateur may use is a correct transfer, one to another
pair is refused ("Partenaire non autorisé pour un ordonnateur"), a transfer of an empty file is a "fichier
inexistant"; each is a ``partner.deposit`` event and a mail to the ordonnateur.

The gateway answers "File received" once the file is stored (``fs.close``) and deals with it afterwards:
the guide (D/4) speaks of "un traitement batch sur les serveurs de la D.G.C.P." that loses files sent "trop
rapprochées", after their page said received. So the decision and the mail are a job on the partner's
worker, never inside the request; a deposit stored but not dealt with when the server stopped is dealt with
at the next start."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..infra.journal import Event
from ..infra.scheduler import Job
from ..model.duration import Duration
from ..model.loading import Deposits
from ..ports.context import ProcessorContext
from ..scenarios import names
from ._base import BaseProcessor
from ._mails import send_notice

__all__ = ["DepositsProcessor"]

_FOLLOW_UPS = ("partner.deposit", "partner.lost")
"""What the gateway journals once it dealt with a deposit (``ref``: the deposit's ``fs.close``)."""
_NOT_AUTHORISED = "partenaire non autorisé pour cet ordonnateur (partner not authorised for this ordonnateur)"


class DepositsProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: Deposits) -> None:
        self.context = context
        self.spec = spec
        self._previous: dict[str, datetime] = {}
        """When each account's previous deposit arrived (virtual time): scenario ``deposits-too-close``."""

    def watches(self, username: str, relative_path: str) -> bool:
        return posixpath.dirname(relative_path) == self.spec.folder

    def forget(self) -> None:
        self._previous.clear()

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        self._later(username, relative_path, event, lambda: self._take(username, relative_path, event))

    def recover(self) -> None:
        """After a restart: deposits stored (their page said "File received") but never dealt with."""
        for event in self.context.journal.unanswered_arrivals(self.context.name, _FOLLOW_UPS):
            path = str(event.detail["arrival"])
            username = event.account
            stored = username and (self.context.tree.home(username).root / path).is_file()
            if username and stored and self.watches(username, path):
                self.file_arrived(username, path, event)

    def _later(self, username: str, relative_path: str, event: Event, run: Callable[[], None]) -> None:
        """On the partner's worker, in the order the deposits came (jobs due alike run in order)."""
        report = self.context.job_failed("deposit", account=username, path=relative_path, ref=event.id)
        self.context.scheduler.schedule(self.context.clock.now(), Job(run, "deposit", report))

    def _take(self, username: str, relative_path: str, event: Event) -> None:
        if self._lost(username, relative_path, event):
            return
        reference = str(event.detail.get("reference", ""))
        site = str(event.detail.get("site", ""))
        entry = self.context.accounts.get(username)
        routes = entry.account.applications if entry is not None else ()
        route = next((item for item in routes if (item.reference, item.site) == (reference, site)), None)
        if self.context.scenarios.active(names.PARTNER_NOT_AUTHORISED) is not None:
            route = None
        name = posixpath.basename(relative_path)
        detail: dict[str, Any] = {
            "reference": reference,
            "site": site,
            "size": event.detail.get("bytes_written"),
            "ref": event.id,
        }
        if route is None:
            detail.update(outcome="refused", decision="not-authorised", reason=_NOT_AUTHORISED)
        else:
            detail.update(decision="accepted")
        self.context.journal.record("partner.deposit", account=username, path=relative_path, **detail)
        variables = {
            "name": name,
            "reference": reference,
            "site": site,
            "scenario": route.scenario if route else "",
        }
        mail = self.spec.mails.accepted if route is not None else self.spec.mails.not_authorised
        send_notice(self.context, mail, self.spec.sender, username, **variables)

    def _lost(self, username: str, relative_path: str, event: Event) -> bool:
        """Scenario ``deposits-too-close``: a deposit that follows the account's previous one within the
        interval is lost on the treasury's side (removed, no mail), though its page said "File received"."""
        previous = self._previous.get(username)
        self._previous[username] = event.time
        too_close = self.context.scenarios.active(names.DEPOSITS_TOO_CLOSE)
        if too_close is None or previous is None:
            return False
        interval = Duration.parse(str(too_close["interval"]))
        if interval.after(previous) <= event.time:
            return False
        (self.context.tree.home(username).root / relative_path).unlink(missing_ok=True)
        reason = f"deposited within {interval} of the previous deposit: lost by the gateway's batch"
        self.context.journal.record(
            "partner.lost", account=username, path=relative_path, ref=event.id, reason=reason
        )
        return True

    def incomplete(self, username: str, relative_path: str, event: Event, reason: str) -> None:
        """A transfer that brought nothing: the gateway's "transfert d'un fichier inexistant"."""
        if event.detail.get("bytes_written"):
            return  # cut short: not a file that does not exist
        self._later(username, relative_path, event, lambda: self._missing(username, relative_path, event))

    def _missing(self, username: str, relative_path: str, event: Event) -> None:
        variables = {
            "name": posixpath.basename(relative_path),
            "reference": str(event.detail.get("reference", "")),
            "site": str(event.detail.get("site", "")),
        }
        send_notice(self.context, self.spec.mails.missing, self.spec.sender, username, **variables)
