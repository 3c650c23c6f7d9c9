"""What a partner does on demand on its own side (the admin API, the CLI and tests ask for it): run its
exports, connect to its customers' servers, make a file available again. Each finds the processors of its
kind among the partner's; a partner without one says so in one line."""

from __future__ import annotations

from ..infra.journal import Event
from ..model.errors import UsageError
from ..ports.accounts import AccountBook
from ..processors import (
    CustomerServerProcessor,
    ExportProcessor,
    FileStatesProcessor,
    Processor,
    TedecoProcessor,
)

__all__ = ["PartnerActions"]


class PartnerActions:
    """A mixin of :class:`~.partner.Partner`: what it runs now, on demand."""

    name: str
    accounts: AccountBook
    processors: tuple[Processor, ...]
    file_states: FileStatesProcessor | None

    def export(self, account: str | None = None) -> list[Event]:
        """Run the partner's exports now (``kind: export``; TEDECO's OCRE returns): a file in each export
        folder of every account, or of ``account`` only; each a ``partner.export`` event."""
        exporters = [
            processor
            for processor in self.processors
            if isinstance(processor, ExportProcessor | TedecoProcessor)
        ]
        if not exporters:
            raise UsageError(f"{self.name} has no export (no processor of kind export in its profile)")
        if account is not None:
            self.accounts.entry(account)
        return [event for exporter in exporters for event in exporter.export(account)]

    def exchange(self, account: str | None = None) -> list[Event]:
        """Lucca's "Serveur client" now (``kind: customer-server``): connect to the server of every
        customer-hosted account (or of ``account``), push the exports, pull the imports; the events."""
        clients = [
            processor for processor in self.processors if isinstance(processor, CustomerServerProcessor)
        ]
        if not clients:
            raise UsageError(
                f"{self.name} connects to no customer's server (no processor of kind customer-server)"
            )
        if account is not None and self.accounts.entry(account).account.server is None:
            raise UsageError(f"account {account!r} is hosted by {self.name}: it has no server of its own")
        return [event for client in clients for event in client.exchange(account)]

    def scan(self, account: str | None = None) -> list[Event]:
        """TEDECO's scan of the spool now (``kind: tedeco``), for every account or ``account``: the events of
        what it found and took (none: nothing waiting)."""
        spools = [processor for processor in self.processors if isinstance(processor, TedecoProcessor)]
        if not spools:
            raise UsageError(f"{self.name} has no spool to scan (no processor of kind tedeco)")
        if account is not None:
            self.accounts.entry(account)
        return [event for spool in spools for event in spool.scan(account)]

    def make_available(self, account: str, name: str) -> Event:
        """The XFB gateway's "remise à disposition" by the S.A.U.: a file back in state B."""
        if self.file_states is None:
            raise UsageError(f"{self.name}'s files have no states (no processor of kind file-states)")
        self.accounts.entry(account)
        try:
            return self.file_states.make_available(account, name)
        except KeyError as unknown:
            raise UsageError(str(unknown.args[0])) from None
