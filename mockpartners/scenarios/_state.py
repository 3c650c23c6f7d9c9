"""Which scenarios are on for one partner, with their parameters; switched from Python, HTTP or the CLI.

Protocol adapters and processors ask :meth:`Scenarios.active` at the moment it matters; scenarios that
need an action when they change (closing a port, serving another key or certificate) are announced to
the partner's servers through :meth:`Scenarios.subscribe`; scenarios that change the partner itself (an
account edited, a remote folder taken away) do it through an effect (:meth:`Scenarios.take_effect`), whose
check may refuse the switch before anything changed.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model.errors import UnknownScenarioError, UsageError
from ._catalog import CATALOG, ScenarioSpec

if TYPE_CHECKING:
    from ..infra.journal import Journal
    from ..model.loading import Profile

__all__ = ["ScenarioInfo", "Scenarios"]

Listener = Callable[[str, "dict[str, Any] | None"], None]
Effect = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""What switching a scenario on (or off) does, given its parameters; what the journal's event adds."""
Check = Callable[[dict[str, Any]], object]
"""Whether a scenario's parameters fit the partner: a UsageError if not (what it returns is not read)."""


@dataclass(frozen=True)
class ScenarioInfo:
    """A scenario as users see it (``mockpartners scenario list``, ``GET /v1/partners/P/scenarios``)."""

    name: str
    description: str
    expect: str
    active: bool
    parameters: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    by_profile: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "expect": self.expect,
            "active": self.active,
            "parameters": self.parameters,
            "defaults": self.defaults,
            "by_profile": self.by_profile,
        }


class Scenarios:
    """The scenarios of one partner."""

    def __init__(self, partner: str, profile: Profile, journal: Journal) -> None:
        self.partner = partner
        self.journal = journal.bind(partner=partner)
        self.specs = {name: spec for name, spec in CATALOG.items() if spec.applies_to(profile)}
        self._parameter_defaults = {
            name: {parameter.name: parameter.default_for(profile) for parameter in spec.parameters}
            for name, spec in self.specs.items()
        }
        self._defaults = {
            name for name, spec in self.specs.items() if spec.default_on and spec.default_on(profile)
        }
        self._active: dict[str, dict[str, Any]] = {name: {} for name in self._defaults}
        self._counters: dict[str, int] = {}
        self._random: dict[str, random.Random] = {}
        self._lock = threading.Lock()
        self._switching = threading.Lock()
        self._listeners: list[Listener] = []
        self._effects: dict[str, tuple[Check, Effect, Effect]] = {}

    # -- switching ----------------------------------------------------------------------------------------

    def on(self, name: str, **parameters: Any) -> ScenarioInfo:
        """Switch ``name`` on (again, with new parameters if it already was)."""
        spec = self._spec(name)
        values = self._parameters(spec, parameters)
        with self._switching:
            done = self._take_effect(name, values)
            with self._lock:
                self._active[name] = values
                self._counters.pop(name, None)
                if "seed" in values:
                    self._random[name] = random.Random(values["seed"])
        self.journal.record("scenario.on", scenario=name, parameters=values, **done)
        self._announce(name, values)
        return self.info(name)

    def off(self, name: str) -> ScenarioInfo:
        self._spec(name)
        with self._switching:
            with self._lock:
                values = self._active.pop(name, None)
            effect = self._effects.get(name)
            done = (effect[2](values) or {}) if effect is not None and values is not None else {}
        self.journal.record("scenario.off", scenario=name, **done)
        self._announce(name, None)
        return self.info(name)

    def take_effect(self, name: str, *, check: Check, on: Effect, off: Effect) -> None:
        """What switching ``name`` does to the partner itself, beyond what its servers ask at each moment (an
        account edited through the account book, a remote folder kept aside). ``check`` runs first and may
        refuse the parameters with a :class:`UsageError`, while nothing has changed (the scenario stays as
        it was); then ``on`` (after ``off`` of the parameters in force, if it was on already); ``off``
        undoes it, given the parameters it had. ``on`` and ``off`` return what the ``scenario.on``
        (``scenario.off``) event adds to its detail, so the journal says what the scenario did."""
        self._spec(name)
        self._effects[name] = (check, on, off)

    def reset(self) -> None:
        """Back to the profile's own behaviour: only the scenarios it implies stay on, and every count
        (the Nth write) and seeded draw starts over, as in a new partner."""
        with self._lock:
            self._counters.clear()
            self._random.clear()
        for name in list(self._active):
            if name not in self._defaults:
                self.off(name)
        for name in self._defaults - set(self._active):
            self.on(name)

    @contextmanager
    def __call__(self, name: str, **parameters: Any) -> Iterator[ScenarioInfo]:
        """``with partner.scenarios("latency", ms=500):`` on for the block, then as it was before."""
        before = self.active(name)
        info = self.on(name, **parameters)
        try:
            yield info
        finally:
            if before is None:
                self.off(name)
            else:
                self.on(name, **before)

    # -- asking -------------------------------------------------------------------------------------------

    def active(self, name: str) -> dict[str, Any] | None:
        """The parameters of ``name`` if it is on, else None."""
        if name not in self._active:  # asked per chunk of every transfer: no lock when off (the GIL suffices)
            return None
        with self._lock:
            values = self._active.get(name)
            return dict(values) if values is not None else None

    def count(self, name: str) -> int:
        """Count one more occurrence for ``name`` (the Nth write...) and return the new count."""
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + 1
            return self._counters[name]

    def chance(self, name: str, probability: float) -> bool:
        """A draw from the scenario's own seeded sequence: the same run after run."""
        with self._lock:
            generator = self._random.setdefault(name, random.Random(0))
            return generator.random() < probability

    def info(self, name: str) -> ScenarioInfo:
        spec = self._spec(name)
        values = self.active(name)
        return ScenarioInfo(
            spec.name,
            spec.description,
            spec.expect,
            values is not None,
            values or {},
            dict(self._parameter_defaults[name]),
            name in self._defaults,
        )

    def available(self) -> list[ScenarioInfo]:
        return [self.info(name) for name in self.specs]

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- internals ----------------------------------------------------------------------------------------

    def _spec(self, name: str) -> ScenarioSpec:
        spec = self.specs.get(name)
        if spec is None:
            known = ", ".join(sorted(self.specs))
            raise UnknownScenarioError(f"{self.partner} has no scenario {name!r}; it has: {known}")
        return spec

    def _parameters(self, spec: ScenarioSpec, given: dict[str, Any]) -> dict[str, Any]:
        known = {parameter.name: parameter for parameter in spec.parameters}
        unknown = set(given) - set(known)
        if unknown:
            expected = ", ".join(known) or "none"
            names = ", ".join(sorted(unknown))
            raise UsageError(f"scenario {spec.name}: unknown parameter(s) {names}; expected: {expected}")
        values = {}
        defaults = self._parameter_defaults[spec.name]
        for name, parameter in known.items():
            try:
                values[name] = parameter.convert(given.get(name, defaults[name]))
            except ValueError as error:
                raise UsageError(f"scenario {spec.name}: {error}") from None
        return values

    def _take_effect(self, name: str, values: dict[str, Any]) -> dict[str, Any]:
        """Check, then run the effect of switching ``name`` on (undoing the one in force first, if it was on);
        should the new one fail all the same, the one in force is put back."""
        effect = self._effects.get(name)
        if effect is None:
            return {}
        check, switch_on, switch_off = effect
        check(values)
        before = self.active(name)
        if before is not None:
            switch_off(before)
        try:
            return switch_on(values) or {}
        except BaseException:
            if before is not None:
                switch_on(before)
            raise

    def _announce(self, name: str, values: dict[str, Any] | None) -> None:
        for listener in self._listeners:
            listener(name, values)
