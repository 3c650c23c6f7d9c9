"""A Lucca profile written wrong is one clear error naming the file and the key (issue "Bad input"): an
account that allows no connection type, a remote folder path with '..' or outside '/', two remote folders
with the same path, an account with neither password nor key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpartners.model.errors import ProfileError
from mockpartners.model.loading import load_profile

ACCOUNT = "extends: lucca\nname: mine\naccounts:\n  - username: paie\n"


@pytest.mark.parametrize(
    ("account", "said"),
    [
        (
            "    sample_key: rsa-3072\n    endpoints: [ftpes]\n",
            r"line 4: accounts\[0\]: 'paie' can log in on no endpoint it may use: it logs in by publickey; "
            r"ftpes accepts password",
        ),
        (
            "    password: true\n    endpoints: []\n",
            r"accounts\[0\]\.endpoints: an account allows at least one connection type",
        ),
        (
            "    password: true\n    remote_folders: [{name: a, path: /paie/../etc}]\n",
            r"accounts\[0\]\.remote_folders\[0\]\.path: '/paie/\.\./etc': expected a path like "
            r"/dossier1/dossier2/dossier3 \(no '\.\.'",
        ),
        (
            "    password: true\n    remote_folders: [{name: a, path: paie/import}]\n",
            r"remote_folders\[0\]\.path: 'paie/import': a remote folder's path starts with /",
        ),
        (
            "    password: true\n    remote_folders: [{name: a, path: /}]\n",
            r"remote_folders\[0\]\.path: .*not / itself",
        ),
        (
            "    password: true\n    remote_folders: [{name: a, path: /x}, {name: b, path: /x/}]\n",
            r"accounts\[0\]\.remote_folders\[1\]\.path: '/x' is already the path of remote folder \[0\]",
        ),
        ("    description: nothing to log in with\n", r"accounts\[0\]: the account has no way to log in"),
    ],
)
def test_each_mistake_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, account: str, said: str
) -> None:
    profile = tmp_path / "mine.yaml"
    profile.write_text(ACCOUNT + account)
    with pytest.raises(ProfileError, match=said) as raised:
        load_profile(profile)
    assert str(profile) in str(raised.value) or "mine.yaml" in str(raised.value)
