"""Partner-side behaviour, whatever the protocol: pickup, answers and retention."""

from ._pickup import PickupProcessor, Request
from ._retention import RetentionProcessor
from ._scheduler import Failure, Job, Scheduler
from ._spool import Spool, Ticket

__all__ = [
    "Failure",
    "Job",
    "PickupProcessor",
    "Request",
    "RetentionProcessor",
    "Scheduler",
    "Spool",
    "Ticket",
]
