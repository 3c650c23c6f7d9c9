"""pytest fixtures: running partners on free ports, fresh for every test.

The ladder, from cheapest to most flexible::

    def test_upload(onss):                      # a running ONSS double (a Partner); magda likewise
    def test_two(mockpartners):                 # a factory: mockpartners("onss", settings=[...])
    mockpartners_credentials                    # session-wide generated keys, copied into each fresh state

``onss``, ``magda`` and one fixture per built-in profile (its name, ``-`` read as ``_``) are shared: each
xdist worker starts one suite per partner at its first use and resets it (``Suite.reset``) before each
test, so a test pays a reset (a few milliseconds), not a start. The reset leaves nothing of the
test before: files, spool, scenarios, bans, the clock, storage counts, jobs planned on the clock; and
``partner.journal`` shows only what happened since (``suite.journal`` shows everything). After a test, the
fixture waits for its clients' sessions to end; what a reset cannot be sure to undo (a client still
connected, a renewed certificate, a port let go by ``port-closed``, ``firewall-drop`` or a restart) gets the
partner a new suite before the next test.

The ``mockpartners(...)`` factory starts a fresh suite in a fresh state directory per call, for tests that
need settings, overrides, the admin API, their own state directory, or to stop and restart a suite.

A partner that fails in the background during a test (``partner.error``: a job that raised) fails that test
at teardown, with the events shown, unless the test calls ``mockpartners.allow_partner_errors()``: for a
shared partner, the events after its reset; for the factory's suites, the events after their start.

Keys are generated once per test session (shared by xdist workers) and copied, so a fresh suite starts in a
few milliseconds; ports are ephemeral, so parallel workers never collide.
"""

from __future__ import annotations

import fcntl
import keyword
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..infra.journal import Event, Journal, Query
from ..infra.outbox import MailLimits
from ..infra.state import StateDir
from ..kernel.partner import Partner
from ..model.errors import JournalTimeout, MockPartnersError
from ..model.loading import builtin_names, load_profile
from ..scenarios import names
from .runtime import Runtime

if TYPE_CHECKING:
    from .container import SuiteContainer

__all__ = ["SharedSuites", "SuiteFactory"]

_LASTING = ["partner.certificate", "endpoint.restart", "scenario.on"]


def _lasting(event: Event) -> bool:
    """Whether ``event`` changed what a reset cannot be sure to undo: a renewed certificate (kept in the
    state directory), or a listener that let go of its port for a while (closed, dropping, restarted),
    which another process on the machine may have taken meanwhile."""
    return event.kind != "scenario.on" or event.detail.get("scenario") in names.LISTENING


SETTLE_SECONDS = 2.0
"""How long a shared partner's sessions may take to end after a test (a client closing journals its end
within milliseconds; one that stays connected gets the partner a new suite)."""


class SuiteFactory:
    """Starts suites for one test and stops them all when it ends."""

    def __init__(self, base: Path, credentials: Path) -> None:
        self._base = base
        self._credentials = credentials
        self._suites: list[Runtime] = []
        self._started_at: dict[int, int] = {}
        self._watched: list[tuple[Journal, int]] = []
        self.partner_errors_allowed = False

    def allow_partner_errors(self) -> None:
        """This test provokes partner-side failures on purpose: do not fail it for them."""
        self.partner_errors_allowed = True

    def watch(self, journal: Journal, after: int) -> None:
        """Count the ``partner.error`` events ``journal`` records after event ``after`` as this test's (a
        shared partner's window)."""
        self._watched.append((journal, after))

    def partner_errors(self) -> list[Event]:
        """``partner.error`` events recorded since the suites of this test started (or were reset for it)."""
        windows = list(self._watched)
        for suite in self._suites:
            if suite.journal is not None:
                windows.append((suite.journal, self._started_at.get(id(suite), 0)))
        found: list[Event] = []
        for journal, after in windows:
            found += journal.events(Query(kind="partner.error", after=after))
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
        mail_relay: str | None = None,
        mail_limits: MailLimits | None = None,
    ) -> Runtime:
        """A started suite of ``partners`` (all built-in ones if none) on ephemeral loopback ports;
        ``admin=True`` also serves the HTTP control plane (``suite.admin.url``); ``mail_relay``
        (``HOST:PORT``) also sends partner mail there (docs/mail.md)."""
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
            mail_relay=mail_relay,
            mail_limits=mail_limits,
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


class SharedSuites:
    """One suite per partner for this worker's tests: started at its first use, reset before each test,
    replaced when a test left what a reset cannot undo."""

    def __init__(self, base: Path, credentials: Path) -> None:
        self._base = base
        self._credentials = credentials
        self._suites: dict[str, Runtime] = {}
        self._spoiled: set[str] = set()
        self.started = 0
        """Suites started so far (the first of each partner, and every replacement)."""

    def checkout(self, name: str) -> Runtime:
        """The suite serving partner ``name``, as fresh as new: reset, or a new suite when it cannot be."""
        suite = self._suites.get(name)
        if suite is not None and name not in self._spoiled:
            try:
                suite.reset()
            except (MockPartnersError, OSError, TimeoutError):  # a folder made undeletable, a job stuck
                return self._replace(name)
            return suite
        return self._replace(name)

    def checkin(self, suite: Runtime, name: str, after: int) -> None:
        """After a test: let its sessions end and its due jobs finish, so that nothing of it reaches the next
        test; if that cannot be (a client still connected), the next test gets a new suite."""
        partner = suite[name]
        try:
            partner.wait_until_sessions_end(after=after, timeout=SETTLE_SECONDS)
            partner.wait_until_idle(timeout=SETTLE_SECONDS)
        except JournalTimeout:
            self._spoiled.add(name)
        assert suite.journal is not None
        if any(_lasting(event) for event in suite.journal.events(Query(kind=_LASTING, after=after))):
            self._spoiled.add(name)

    def stop_all(self) -> None:
        while self._suites:
            self._suites.popitem()[1].stop()

    def _replace(self, name: str) -> Runtime:
        old = self._suites.pop(name, None)
        if old is not None:
            old.stop()
        self._spoiled.discard(name)
        suite = Runtime(
            [name],
            state_dir=self._base / f"{name}-{self.started}",
            ports="ephemeral",
            credentials_from=self._credentials,
        )
        suite.start()
        self.started += 1
        self._suites[name] = suite
        return suite


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


@pytest.fixture(scope="session")
def mockpartners_shared(
    tmp_path_factory: pytest.TempPathFactory, mockpartners_credentials: Path
) -> Iterator[SharedSuites]:
    """This worker's suites behind the partner fixtures (``onss``, ``magda``, ...), stopped at the end."""
    suites = SharedSuites(tmp_path_factory.mktemp("mockpartners-shared"), mockpartners_credentials)
    try:
        yield suites
    finally:
        suites.stop_all()


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


def _partner_fixture(name: str) -> Callable[..., Iterator[Partner]]:
    """The fixture of built-in partner ``name``: shared by the worker's tests, reset before each."""

    def fixture(mockpartners: SuiteFactory, mockpartners_shared: SharedSuites) -> Iterator[Partner]:
        suite = mockpartners_shared.checkout(name)
        assert suite.journal is not None
        window = suite[name].window_start()
        mockpartners.watch(suite.journal, window)
        yield suite[name]
        mockpartners_shared.checkin(suite, name, window)

    fixture.__name__ = fixture.__qualname__ = _fixture_name(name)
    fixture.__doc__ = (
        f"A running {name} double (built-in profile ``{name}``) on ephemeral ports: shared by this worker's "
        "tests, reset before each."
    )
    return pytest.fixture(name=_fixture_name(name))(fixture)


def _fixture_name(profile: str) -> str:
    return profile.replace("-", "_")


# one fixture per built-in profile (onss, magda, ...); a name that Python or this module already uses
# gets none: use the factory, mockpartners("name")
for _profile in builtin_names():
    if not keyword.iskeyword(_fixture_name(_profile)) and _fixture_name(_profile) not in globals():
        globals()[_fixture_name(_profile)] = _partner_fixture(_profile)


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
