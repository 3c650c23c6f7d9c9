"""pytest fixtures: a partner running on free ports in a fresh state directory, per test.

The ladder, from most to least convenient::

    def test_upload(onss):                      # a running ONSS double (a Partner); magda likewise
    def test_two(mockpartners):                 # a factory: mockpartners("onss", settings=[...])
    mockpartners_credentials                    # session-wide generated keys, copied into each fresh state

A partner that fails in the background during a test (``partner.error``: a job that raised) fails that test
at teardown, with the events shown, unless the test calls ``mockpartners.allow_partner_errors()``.

Keys are generated once per test session (shared by xdist workers) and copied, so each test starts its
partner in a few milliseconds; ports are ephemeral, so parallel workers never collide.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..infra.journal import Event, Query
from ..infra.state import StateDir
from ..kernel.partner import Partner
from ..model.loading import builtin_names, load_profile
from .runtime import Runtime

if TYPE_CHECKING:
    from .container import SuiteContainer

__all__ = ["SuiteFactory"]


class SuiteFactory:
    """Starts suites for one test and stops them all when it ends."""

    def __init__(self, base: Path, credentials: Path) -> None:
        self._base = base
        self._credentials = credentials
        self._suites: list[Runtime] = []
        self._started_at: dict[int, int] = {}
        self.partner_errors_allowed = False

    def allow_partner_errors(self) -> None:
        """This test provokes partner-side failures on purpose: do not fail it for them."""
        self.partner_errors_allowed = True

    def partner_errors(self) -> list[Event]:
        """``partner.error`` events recorded since the suites of this test started."""
        found: list[Event] = []
        for suite in self._suites:
            if suite.journal is not None:
                after = self._started_at.get(id(suite), 0)
                found += suite.journal.events(Query(kind="partner.error", after=after))
        return found

    def __call__(
        self,
        *partners: str,
        settings: Sequence[str] = (),
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        profile_files: Sequence[str | Path] = (),
        state_dir: str | Path | None = None,
        admin: bool = False,
        admin_token: str | None = None,
    ) -> Runtime:
        """A started suite of ``partners`` (all built-in ones if none) on ephemeral loopback ports;
        ``admin=True`` also serves the HTTP control plane (``suite.admin.url``)."""
        directory = Path(state_dir) if state_dir else self._base / f"state-{len(self._suites)}"
        suite = Runtime(
            partners,
            state_dir=directory,
            ports="ephemeral",
            settings=settings,
            overrides=overrides,
            profile_files=profile_files,
            credentials_from=self._credentials,
            admin=admin,
            admin_token=admin_token,
        )
        self._suites.append(suite)
        suite.start()
        assert suite.journal is not None
        self._started_at[id(suite)] = suite.journal.events(Query(kind="suite.start"), limit=1)[0].id
        return suite

    def stop_all(self) -> list[Event]:
        """Stop every suite; the partner-side errors they journalled meanwhile."""
        errors = self.partner_errors()
        while self._suites:
            self._suites.pop().stop()
        return errors


@pytest.fixture(scope="session")
def mockpartners_credentials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory holding the built-in partners' credentials, generated once for all workers."""
    shared = tmp_path_factory.getbasetemp().parent
    directory = shared / "mockpartners-credentials"
    with open(shared / "mockpartners-credentials.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = StateDir(directory)
        state.prepare()
        for name in builtin_names():
            state.make_credentials(load_profile(name))
    return directory


@pytest.fixture
def mockpartners(tmp_path: Path, mockpartners_credentials: Path) -> Iterator[SuiteFactory]:
    """Start suites with ``mockpartners("onss", settings=["onss.pickup.delay=5m"])``; stopped afterwards."""
    factory = SuiteFactory(tmp_path / "mockpartners", mockpartners_credentials)
    try:
        yield factory
    finally:
        errors = factory.stop_all()
    if errors and not factory.partner_errors_allowed:
        shown = "\n".join(f"  {event}" for event in errors)
        pytest.fail(
            f"the partners failed in the background during this test (partner.error):\n{shown}\n"
            "(call mockpartners.allow_partner_errors() in a test that provokes them on purpose)",
            pytrace=False,
        )


@pytest.fixture
def onss(mockpartners: SuiteFactory) -> Partner:
    """A running ONSS/RSZ SFTP double (profile ``onss``) on an ephemeral port."""
    return mockpartners("onss")["onss"]


@pytest.fixture
def magda(mockpartners: SuiteFactory) -> Partner:
    """A running MAGDA FTPS double (profile ``magda``) on an ephemeral control port."""
    return mockpartners("magda")["magda"]


@pytest.fixture
def mockpartners_container(tmp_path: Path) -> Iterator[SuiteContainer]:
    """The mockpartners image (``MOCKPARTNERS_IMAGE``, default ``mockpartners:dev``) in a container, through
    the docker SDK, its state in a fresh host folder; ``.info`` is the same SuiteInfo as in-process."""
    from .container import SuiteContainer

    container = SuiteContainer(tmp_path / "container-state")
    try:
        container.start()
        yield container
    finally:
        container.stop()
