"""A suite as users run it: the partners, and the admin API that drives them (later the dashboard too).

The suite knows no web: this runtime assembles it with its HTTP control plane on the same loop, so that
``mockpartners up``, the pytest plugin (``mockpartners(..., admin=True)``) and scripts get both, while the
kernel stays free of aiohttp.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from ..infra.endpoints import AdminInfo
from ..kernel.suite import Suite, checked_port
from ..model.errors import MockPartnersError
from .admin import AdminLimits, AdminServer
from .admin._guard import is_loopback, lasting_token

__all__ = ["DEFAULT_ADMIN_PORT", "Runtime"]

DEFAULT_ADMIN_PORT = 8470


class Runtime(Suite):
    """A :class:`Suite` that also serves the admin API (``admin=True``), with its own options:

    ``admin_port`` (default 8470, a free port with ``ports="ephemeral"``), ``admin_token`` (required beyond
    loopback: one is kept in ``STATE/admin-token`` when none is given), ``admin_allowed_hosts`` and
    ``admin_limits``. Everything else is the suite's.
    """

    def __init__(
        self,
        partners: Sequence[str] = (),
        *,
        admin: bool = False,
        admin_port: int | None = None,
        admin_token: str | None = None,
        admin_allowed_hosts: Sequence[str] = (),
        admin_limits: AdminLimits | None = None,
        **suite_options: Any,
    ) -> None:
        if admin_port is not None:
            checked_port(admin_port, "admin_port")
        super().__init__(partners, **suite_options)
        self._admin_wanted = admin
        self._admin_port = admin_port
        self._admin_token = admin_token
        self._admin_allowed_hosts = list(admin_allowed_hosts)
        self._admin_limits = admin_limits
        self.admin: AdminServer | None = None

    def _start_services(self) -> None:
        """The admin API; beyond loopback never without a token (one is kept in STATE/admin-token)."""
        if not self._admin_wanted:
            return
        port = 0 if self.ports == "ephemeral" and self._admin_port is None else self._admin_port
        if not self._admin_token and not is_loopback(self.host):
            self._admin_token = lasting_token(self.state.admin_token_path)
        if self._admin_token:
            self.state.write_private(self.state.admin_token_path, self._admin_token)
        self.admin = AdminServer(
            self,
            self.host,
            DEFAULT_ADMIN_PORT if port is None else port,
            self._admin_token,
            allowed_hosts=self._admin_allowed_hosts,
            limits=self._admin_limits,
        )
        self._run(self.admin.start())

    def _stop_services(self) -> None:
        if self.admin is not None:
            with contextlib.suppress(MockPartnersError, RuntimeError, TimeoutError):
                self._run(self.admin.stop(), timeout=15)
            self.admin = None

    def _admin_info(self) -> AdminInfo | None:
        if self.admin is None:
            return None
        token_file = str(self.state.admin_token_path) if self._admin_token else None
        return AdminInfo(self.admin.url, f"{self.admin.url}/openapi.json", token_file)
