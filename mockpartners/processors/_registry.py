"""The registry of processor kinds: a profile's ``kind: pickup`` names the class that does it.

Adding a kind is a spec model in ``model/_processors.py`` (its fields, checked when the profile loads),
a class here taking ``(context, spec)`` (a :class:`~._base.BaseProcessor` overriding the calls it needs),
and one entry below. tests/processors/test_processors_as_data.py checks that every kind the schema
accepts has a class here, and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from ..model.loading import ProcessorSpec
from ..ports.context import ProcessorContext
from ._base import Processor
from ._customer import CustomerServerProcessor
from ._deposits import DepositsProcessor
from ._export import ExportProcessor
from ._file_states import FileStatesProcessor
from ._mail_intake import MailIntakeProcessor
from ._pickup import PickupProcessor
from ._retention import RetentionProcessor
from ._tedeco import TedecoProcessor

__all__ = ["PROCESSOR_CLASSES", "build_processors"]

ProcessorFactory = Callable[[ProcessorContext, Any], Processor]

PROCESSOR_CLASSES: Mapping[str, ProcessorFactory] = MappingProxyType(
    {
        "pickup": PickupProcessor,
        "retention": RetentionProcessor,
        "export": ExportProcessor,
        "customer-server": CustomerServerProcessor,
        "file-states": FileStatesProcessor,
        "deposits": DepositsProcessor,
        "tedeco": TedecoProcessor,
        "mail-intake": MailIntakeProcessor,
    }
)


def build_processors(context: ProcessorContext, specs: Iterable[ProcessorSpec]) -> tuple[Processor, ...]:
    """One processor per spec, in the profile's order (the order the partner tells them of events)."""
    return tuple(PROCESSOR_CLASSES[spec.kind](context, spec) for spec in specs)
