"""Partner-side behaviour, whatever the protocol: pickup, answers and retention."""

from ..infra.scheduler import Failure, Job, Scheduler
from ._pickup import PickupProcessor, Request
from ._retention import RetentionProcessor
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
