"""The building blocks every part of the profile schema shares: the frozen base model and field types."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from .duration import Duration
from .errors import UsageError

__all__ = [
    "MAXIMUM_PASSWORD",
    "AccountAuth",
    "AuthMethod",
    "DurationField",
    "IntervalField",
    "KeyType",
    "Location",
    "Model",
    "PatternField",
    "Right",
    "checked_password",
    "dotted",
]

Location = tuple[str | int, ...]
Right = Literal["list", "read", "write", "delete", "rename", "mkdir", "setstat"]
AuthMethod = Literal["publickey", "password", "keyboard-interactive"]
AccountAuth = Literal["publickey", "password", "keyboard-interactive", "certificate"]
"""How an account may log in: the SSH methods, or an FTPS client certificate (its CN is the user name)."""
_KEY_TYPE = re.compile(r"^(rsa-(2048|3072|4096)|ed25519|ecdsa-(256|384|521))$")


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    try:
        return Duration.parse(value)
    except UsageError as error:
        raise ValueError(str(error)) from None


_AS_TEXT = PlainSerializer(str, return_type=str, when_used="json")
"""A duration in JSON is written as a profile writes it ("30s", "2mo"), so that it reads back."""

DurationField = Annotated[Duration, BeforeValidator(_duration), _AS_TEXT]


def _at_least_a_second(value: Duration) -> Duration:
    if value.total_seconds() < 1:
        raise ValueError("expected at least 1s (a sweep repeated without a pause would keep a core busy)")
    return value


IntervalField = Annotated[Duration, BeforeValidator(_duration), AfterValidator(_at_least_a_second), _AS_TEXT]
"""How often a recurring partner-side job runs (a retention sweep)."""


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error}") from None
    return pattern


PatternField = Annotated[str, AfterValidator(_compiles)]
"""A regular expression a profile gives (file names a pickup or a portal accepts): it must compile."""


def _key_type(value: Any) -> str:
    if not isinstance(value, str) or not _KEY_TYPE.match(value):
        raise ValueError("expected a key type: rsa-2048, rsa-3072, rsa-4096, ed25519, ecdsa-256/384/521")
    return value


KeyType = Annotated[str, BeforeValidator(_key_type)]


MAXIMUM_PASSWORD = 128


def checked_password(password: str, empty: str) -> str:
    """A password as FTP can send it (on one command line) and SSH too: not empty (``empty`` says what to do
    instead), at most 128 characters, no control characters."""
    if not password:
        raise ValueError(f"an empty password: {empty}")
    if len(password) > MAXIMUM_PASSWORD:
        raise ValueError(f"a password has at most {MAXIMUM_PASSWORD} characters")
    if not password.isprintable():
        raise ValueError("a password cannot hold control characters (FTP sends it on one line)")
    return password


def dotted(location: Location) -> str:
    """A place in a profile as its messages write it: ``folders.IN.rights[1]``."""
    joined = ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in location)
    return joined.replace(".[", "[")


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
