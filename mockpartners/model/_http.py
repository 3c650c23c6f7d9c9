"""An HTTP service (the XFB gateway's ``/depot-xt``, INSEE's AIREPPNET portal): plain HTTP or HTTPS
on the partner's one TLS policy, and the web application it serves, chosen by name.

What the pages say and do is the application's (``mockpartners.protocols.http``' registry of applications);
the endpoint says where it listens, how it is protected and what a request may cost.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import ByteSize, Field, field_validator, model_validator

from ._aireppnet import Portal
from ._endpoint import Credential, EndpointModel
from ._types import DurationField
from .duration import Duration

__all__ = ["WEB_APPLICATIONS", "HttpEndpoint", "WebApplication"]

WebApplication = Literal["xfb-gateway", "aireppnet"]
WEB_APPLICATIONS: tuple[str, ...] = get_args(WebApplication)
"""The web applications an HTTP endpoint may serve; each has its routes in ``mockpartners.protocols.http``."""


class HttpEndpoint(EndpointModel):
    """An HTTP or HTTPS service serving one web application."""

    credentials: ClassVar[frozenset[Credential]] = frozenset({"tls"})
    protocol: Literal["http"]
    tls: bool = False
    """HTTPS: TLS from the first byte, with the partner's server chain and certificate scenarios."""
    port: int = Field(default=80, ge=1, le=65535)
    unprivileged_port: int | None = Field(default=8080, ge=1024, le=65535)
    server_names: tuple[str, ...] = ()
    tls_minimum: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    application: WebApplication
    """The web application served (``xfb-gateway``, ``aireppnet``): its pages, forms and answers."""
    portal: Portal | None = None
    """The AIREPPNET portal's file types, idle time and inter-file delay (``application: aireppnet``)."""
    header_timeout: DurationField = Duration(seconds=10)
    """How long a client has to send a request's headers; then the connection is closed with a 408."""
    max_body: ByteSize = ByteSize(256 * 2**20)
    """The largest request body (a deposited file with its form): beyond it, a 413."""

    @model_validator(mode="before")
    @classmethod
    def _https_ports(cls, data: Any) -> Any:
        """HTTPS has its own nominal port, 443 (8443 when not root), unless the profile gives one."""
        if isinstance(data, dict) and data.get("tls") is True:
            return {"port": 443, "unprivileged_port": 8443, **data}
        return data

    @model_validator(mode="after")
    def _portal_for_aireppnet(self) -> HttpEndpoint:
        """INSEE's portal cannot route a file without its file types; no other application reads them."""
        if self.application == "aireppnet" and self.portal is None:
            raise ValueError("application aireppnet needs a portal (its file_types at least)")
        if self.application != "aireppnet" and self.portal is not None:
            raise ValueError(f"portal is for application aireppnet, not {self.application}")
        return self

    @field_validator("header_timeout")
    @classmethod
    def _some_time(cls, value: Duration) -> Duration:
        if value.total_seconds() <= 0:
            raise ValueError("expected a duration above zero, like 10s")
        return value

    def certificate_names(self) -> tuple[str, ...]:
        return self.server_names
