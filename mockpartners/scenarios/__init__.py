"""Named scenarios: the partners' documented errors and generic faults, switched on and off at will."""

from ._catalog import CATALOG, Parameter, ScenarioSpec
from ._faults import SessionFaults
from ._state import ScenarioInfo, Scenarios

__all__ = ["CATALOG", "Parameter", "ScenarioInfo", "ScenarioSpec", "Scenarios", "SessionFaults"]
