"""mockpartners: faithful local doubles of the file-exchange servers organisations must talk to."""

from .clock import Clock
from .config import Profile, builtin_names, load_profile
from .endpoints import AccountInfo, EndpointInfo, PartnerInfo, SuiteInfo
from .errors import MockPartnersError
from .journal import Event, Journal, Query
from .partner import Partner
from .suite import Suite

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
    "Suite",
    "SuiteInfo",
    "builtin_names",
    "load_profile",
]

__version__ = "0.1.0"
