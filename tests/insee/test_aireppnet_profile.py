"""The AIREPPNET portal's profile data: each mistake in its file types one precise message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockpartners.model.errors import ProfileError
from mockpartners.model.loading import load_profile

_TYPE = (
    "    portal:\n      file_types:\n        etat-civil: {label: Etat Civil, profile: ETATCIVIL, server: x, "
)
CASES = {
    "endpoints.portal.portal.file_types.etat-civil.folder: folder 'civil' is not declared": (
        _TYPE + "folder: civil, name_pattern: 'wecivil.*', name_example: wecivil1.038}\n"
    ),
    "name_example 'civil.038' does not match name_pattern": (
        _TYPE + "folder: etat-civil, name_pattern: 'wecivil.*', name_example: civil.038}\n"
    ),
    "not a valid regular expression": (
        _TYPE + "folder: etat-civil, name_pattern: 'wecivil(', name_example: wecivil1.038}\n"
    ),
}


@pytest.mark.parametrize("said", list(CASES))
def test_a_wrong_file_type_is_one_precise_message(tmp_path: Path, said: str) -> None:
    path = tmp_path / "portal.yaml"
    path.write_text("extends: insee-aireppnet\nendpoints:\n  portal:\n" + CASES[said])
    with pytest.raises(ProfileError, match=re.escape(said)):
        load_profile(path)


def test_the_portal_settings_belong_to_the_aireppnet_application(tmp_path: Path) -> None:
    path = tmp_path / "portal.yaml"
    path.write_text("extends: insee-aireppnet\nendpoints:\n  portal:\n    application: xfb-gateway\n")
    with pytest.raises(ProfileError, match="portal is for application aireppnet, not xfb-gateway"):
        load_profile(path)
