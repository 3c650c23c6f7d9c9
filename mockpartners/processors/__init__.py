"""Partner-side behaviour, whatever the protocol: pickup and answers (retention and others come later)."""

from ._pickup import PickupProcessor, Request
from ._scheduler import Scheduler
from ._spool import Spool, Ticket

__all__ = ["PickupProcessor", "Request", "Scheduler", "Spool", "Ticket"]
