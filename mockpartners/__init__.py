"""mockpartners: faithful local doubles of the file-exchange servers organisations must talk to.

The public API, re-exported from the layers (docs/architecture.md): nothing inside the package imports this
module.
"""

from .app.runtime import Runtime
from .infra.clock import Clock
from .infra.endpoints import AccountInfo, EndpointInfo, PartnerInfo, SuiteInfo
from .infra.journal import Event, Journal, Query
from .kernel.partner import Partner
from .kernel.suite import Suite
from .model.errors import MockPartnersError
from .model.loading import Profile, builtin_names, load_profile

__all__ = [
    "AccountInfo",
    "Clock",
    "EndpointInfo",
    "Event",
    "Journal",
    "MockPartnersError",
    "Partner",
    "PartnerInfo",
    "Profile",
    "Query",
    "Runtime",
    "Suite",
    "SuiteInfo",
    "builtin_names",
    "load_profile",
]

__version__ = "0.1.0"
