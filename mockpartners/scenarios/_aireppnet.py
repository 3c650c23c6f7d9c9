"""The scenarios of INSEE's AIREPPNET portal (TASK Collectivités' guide, section F): files sent too close
together, and a file type the portal does not take from this collectivité. The portal's wrong password is
``password-refused`` and its session ending mid-upload ``session-expired``, shared with other partners."""

from __future__ import annotations

from ..model._aireppnet import Portal
from ..model._schema import Profile
from ._spec import Parameter, ScenarioSpec
from .names import FILES_TOO_CLOSE, WRONG_FILE_TYPE

__all__ = ["AIREPPNET_SPECS"]


def _portal(profile: Profile) -> Portal | None:
    portals = [getattr(endpoint, "portal", None) for endpoint in profile.endpoints.values()]
    return next((portal for portal in portals if isinstance(portal, Portal)), None)


def _too_close_default(profile: Profile) -> str:
    """What the profile does with a file sent too soon, where it refuses or loses it; else refused."""
    portal = _portal(profile)
    return portal.too_close if portal is not None and portal.too_close != "accepted" else "refused"


AIREPPNET_SPECS = [
    ScenarioSpec(
        FILES_TOO_CLOSE,
        "every file is handled as sent within the inter-file delay of the previous one: refused, or lost",
        "refused: a 429 page 'temporisation inter-fichiers non respectée' with Retry-After; lost: the page "
        "says OK, the transfer log too, and the file never reaches INSEE (guide F: 'Temporisation "
        "inter-fichiers : 60')",
        offered=lambda profile: _portal(profile) is not None,
        parameters=(
            Parameter(
                "outcome",
                "refused",
                "what the portal does with the file",
                choices=("refused", "lost"),
                profile_default=_too_close_default,
            ),
        ),
    ),
    ScenarioSpec(
        WRONG_FILE_TYPE,
        "files of a type (or of every type) are refused as a type the collectivité may not send",
        "a 403 page 'type de fichier ... non autorisé pour cette collectivité', nothing kept (guide F: 'Type "
        "de fichier : Etat Civil')",
        offered=lambda profile: _portal(profile) is not None,
        parameters=(Parameter("type", "", "a file type's key, like etat-civil (empty: every type)"),),
    ),
]
