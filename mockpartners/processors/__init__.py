"""Partner-side behaviour, whatever the protocol: pickup, answers and retention."""

from ._pickup import PickupProcessor, Request
from ._retention import RetentionProcessor
from ._scheduler import Scheduler
from ._spool import Spool, Ticket

__all__ = ["PickupProcessor", "Request", "RetentionProcessor", "Scheduler", "Spool", "Ticket"]
