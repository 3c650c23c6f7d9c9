"""What a scenario is (:class:`ScenarioSpec`): its name, what it changes, what a client should show, its
parameters and which partners offer it; a parameter and the values that make sense (:class:`Parameter`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model._schema import Credential, EndpointModel, Profile
from ..model.duration import Duration, shown
from ..model.errors import UsageError

__all__ = ["Parameter", "ScenarioSpec"]


@dataclass(frozen=True)
class Parameter:
    """A scenario's parameter: its default, and the values that make sense.

    Out-of-range values are refused rather than clamped: ``bandwidth`` at 0 bytes per second hung an
    upload forever, ``answers-late`` by 99999999d broke SFTP close, a ``probability`` of 2 or a negative
    ``latency`` meant nothing. A duration (``duration=True``) is given as text ("15m") and its bounds are
    in seconds.
    """

    name: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    duration: bool = False
    choices: tuple[str, ...] = ()
    profile_default: Callable[[Profile], Any] | None = None
    """The default for a partner, where it depends on its profile (an endpoint's name)."""

    def default_for(self, profile: Profile) -> Any:
        return self.profile_default(profile) if self.profile_default is not None else self.default

    def convert(self, value: Any) -> Any:
        """The value as the parameter's type (CLI and HTTP give strings), within its bounds; a
        ValueError that says what is expected otherwise."""
        if self.duration:
            return self._duration(value)
        converted = self._typed(value)
        if self.choices and converted not in self.choices:
            raise ValueError(f"{self.name}: expected one of {', '.join(self.choices)}, got {shown(value)}")
        if isinstance(converted, int | float) and not isinstance(converted, bool):
            self._within(converted, value)
        return converted

    def _typed(self, value: Any) -> Any:
        kind = type(self.default)
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        text = str(value).strip()
        if kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name}: expected true or false, got {shown(value)}")
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"{self.name}: expected {kind.__name__}, got {shown(value)}") from None

    def _duration(self, value: Any) -> str:
        """The duration as given (a bare number is seconds), once it parses and lies within bounds."""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{self.name}: expected a duration such as 15m or 2h, got {shown(value)}")
        try:
            span = Duration.parse(value)
        except UsageError as error:
            raise ValueError(f"{self.name}: {error}") from None
        self._within(span.total_seconds(), value)
        return value.strip() if isinstance(value, str) else str(span)

    def _within(self, number: float, given: Any) -> None:
        low = self.minimum if self.minimum is not None else -math.inf
        high = self.maximum if self.maximum is not None else math.inf
        if not low <= number <= high:  # also refuses NaN
            raise ValueError(f"{self.name}: expected {self._range()}, got {shown(given)}")

    def _range(self) -> str:
        def bound(number: float) -> str:
            if self.duration:
                return str(Duration(seconds=number))
            return str(int(number)) if float(number).is_integer() else f"{number:g}"

        if self.maximum is None:
            return f"{bound(self.minimum or 0)} or more"
        return f"{bound(self.minimum or 0)} to {bound(self.maximum)}"


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    description: str
    expect: str
    needs: frozenset[Credential] = frozenset()
    """Credentials one of the partner's endpoints must use (keys, certificates: empty, any partner)."""
    endpoints: tuple[type[EndpointModel], ...] = ()
    """Endpoint models one of which the partner must serve (empty: any): a scenario of one protocol's wire."""
    needs_processor: str | None = None
    """A processor kind the partner must run (``pickup``: the partner answers requests)."""
    parameters: tuple[Parameter, ...] = ()
    default_on: Callable[[Profile], bool] | None = None
    offered: Callable[[Profile], bool] | None = None
    """Any other condition on the profile (Lucca's account scenarios: password logins, several connection
    types, remote folders)."""

    def applies_to(self, profile: Profile) -> bool:
        if self.offered is not None and not self.offered(profile):
            return False
        endpoints = profile.endpoints.values()
        if self.needs and not any(self.needs <= endpoint.credentials for endpoint in endpoints):
            return False
        if self.endpoints and not any(isinstance(endpoint, self.endpoints) for endpoint in endpoints):
            return False
        kinds = {spec.kind for spec in profile.processor_specs()}
        return self.needs_processor is None or self.needs_processor in kinds
