"""Named scenarios: the partners' documented errors and generic faults, switched on and off at will."""

from . import names
from ._catalog import CATALOG, Parameter, ScenarioSpec
from ._faults import SessionFaults
from ._logins import aimed_at, connection_type_refusal, password_refusal
from ._state import ScenarioInfo, Scenarios
from ._tls import tls_policy

__all__ = [
    "CATALOG",
    "Parameter",
    "ScenarioInfo",
    "ScenarioSpec",
    "Scenarios",
    "SessionFaults",
    "aimed_at",
    "connection_type_refusal",
    "names",
    "password_refusal",
    "tls_policy",
]
