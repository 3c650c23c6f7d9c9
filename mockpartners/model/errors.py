"""The exceptions mockpartners raises for its own errors.

Everything a user can get wrong (a profile, a flag, a state directory, a port) surfaces as one
``MockPartnersError`` subclass whose message is complete on its own: the CLI prints it without a traceback.
Refusals seen by clients on the wire are not exceptions of ours: they use the protocol's own codes.
"""

from __future__ import annotations

import errno


class MockPartnersError(Exception):
    """Root of every error mockpartners raises on purpose."""


class ProfileError(MockPartnersError):
    """A profile (built-in, user file or override) does not validate."""


class UnknownPartnerError(MockPartnersError):
    """A partner name matches no built-in profile."""


class StateError(MockPartnersError):
    """The state directory or a file in it cannot be used as it is."""


class PortInUseError(MockPartnersError):
    """An endpoint cannot listen on its address and port."""

    @classmethod
    def binding(cls, listener: str, host: str, port: int, error: OSError, choices: str) -> PortInUseError:
        """One wording for every listener: what could not listen where, and the ways out (``choices``)."""
        if error.errno == errno.EADDRINUSE:
            return cls(
                f"{listener}: port {port} on {host} is already in use; stop what uses it, or choose another "
                f"port ({choices})"
            )
        return cls(f"{listener}: cannot listen on {host}:{port}: {error.strerror or error}")


class JournalTimeout(MockPartnersError, TimeoutError):
    """No journal event matched within the time allowed."""


class UsageError(MockPartnersError):
    """A command-line argument or API parameter is malformed."""


class UnknownScenarioError(MockPartnersError):
    """A scenario name the partner does not offer."""


class UnknownAccountError(MockPartnersError):
    """An account name the partner does not have (now: accounts change while serving)."""


class UnknownMailError(MockPartnersError):
    """A mail id the suite's outbox does not hold (never stored, or emptied by a reset)."""
