"""Partner-side behaviour, whatever the protocol: pickup, answers and retention, built from a profile's
processor specs through the registry of kinds (``_registry``)."""

from ..infra.scheduler import Failure, Job, Scheduler
from ._base import BaseProcessor, Processor
from ._customer import CustomerServerProcessor
from ._export import ExportProcessor
from ._file_states import FileStatesProcessor
from ._pickup import PickupProcessor, Request
from ._registry import PROCESSOR_CLASSES, build_processors
from ._retention import RetentionProcessor
from ._spool import Spool, Ticket
from ._tedeco import TedecoProcessor

__all__ = [
    "PROCESSOR_CLASSES",
    "BaseProcessor",
    "CustomerServerProcessor",
    "ExportProcessor",
    "Failure",
    "FileStatesProcessor",
    "Job",
    "PickupProcessor",
    "Processor",
    "Request",
    "RetentionProcessor",
    "Scheduler",
    "Spool",
    "TedecoProcessor",
    "Ticket",
    "build_processors",
]
