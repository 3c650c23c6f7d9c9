"""Profiles: built-ins load, user files extend them, and every mistake names its file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpartners import builtin_names, load_profile
from mockpartners.model.errors import ProfileError, UnknownPartnerError, UsageError
from mockpartners.model.loading import load_profiles


def test_builtin_onss_profile_matches_the_guide() -> None:
    profile = load_profile("onss")
    (endpoint,) = profile.endpoints.values()
    assert (endpoint.protocol, endpoint.port, endpoint.host_keys) == ("sftp", 8022, ("rsa-4096",))
    assert endpoint.auth_accepted == ("publickey",)
    assert set(endpoint.auth_offered) == {"publickey", "password", "keyboard-interactive"}
    assert profile.pickup is not None
    assert profile.pickup.inboxes == {"IN": "OUT", "INTEST": "OUTTEST", "INTEST-S": "OUTTEST-S"}
    assert ".filepart" in profile.pickup.temporary_suffixes
    for inbox in profile.pickup.inboxes:
        assert (
            "rename" not in profile.folders[inbox].rights and "setstat" not in profile.folders[inbox].rights
        )
    assert "delete" in profile.folders["OUT"].rights
    assert "mkdir" not in profile.folder_rule("").rights
    assert all(account.username.startswith(("EXP", "UM")) for account in profile.accounts)
    assert any(account.passphrase for account in profile.accounts)


def test_every_builtin_profile_loads() -> None:
    assert "onss" in builtin_names()
    for name in builtin_names():
        assert load_profile(name).name == name


def test_unknown_partner_lists_the_known_ones() -> None:
    with pytest.raises(UnknownPartnerError, match=r"unknown partner 'onsss': built-in partners are .*onss"):
        load_profile("onsss")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partner.yaml"
    path.write_text(text)
    return path


def test_error_names_file_line_key_and_expectation(tmp_path: Path) -> None:
    path = _write(tmp_path, "extends: onss\nfolders:\n  IN:\n    rights: [list, wirte]\n")
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    message = str(error.value)
    assert f"{path}, line 4: folders.IN.rights[1]" in message
    assert "'list', 'read', 'write'" in message and "(got 'wirte')" in message


def test_unknown_key_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "extends: onss\npickup:\n  dealy: 5m\n")
    with pytest.raises(ProfileError, match=r"line 3: pickup\.dealy: unknown key"):
        load_profile(path)


def test_broken_yaml_is_one_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nfolders: [1,\n")
    with pytest.raises(ProfileError, match=rf"{path}: line \d+, column \d+: not valid YAML"):
        load_profile(path)


def test_several_problems_are_listed_together(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: Bad Name\ntitle: t\nendpoints: {}\naccounts: []\nfolders: {}\n")
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    lines = str(error.value).splitlines()
    assert lines[0] == "invalid profile:"
    assert any("line 1: name" in line for line in lines)
    assert any("line 3: endpoints" in line for line in lines)
    assert any("line 4: accounts" in line for line in lines)


def test_cross_checks_name_the_offending_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "extends: onss\npickup:\n  inboxes: {UPLOAD: OUT}\n")
    with pytest.raises(
        ProfileError, match=r"line 3: pickup\.inboxes\.UPLOAD: folder 'UPLOAD' is not declared"
    ):
        load_profile(path)


def test_user_file_extends_a_builtin(tmp_path: Path) -> None:
    path = _write(tmp_path, "extends: onss\npickup:\n  delay: 15m\n  after_pickup: remove\n")
    profile = load_profile(path)
    assert profile.name == "onss"
    assert profile.pickup is not None and str(profile.pickup.delay) == "15m"
    assert profile.pickup.after_pickup == "remove"
    assert profile.pickup.inboxes["IN"] == "OUT"


def test_set_overrides_one_value_and_errors_name_the_setting() -> None:
    profile = load_profile("onss", ["onss.pickup.delay=2h", "onss.accounts.0.username=EXP42"])
    assert profile.pickup is not None and str(profile.pickup.delay) == "2h"
    assert profile.accounts[0].username == "EXP42"
    with pytest.raises(ProfileError, match=r"--set onss.accounts.0.username=ROOT: .*does not match"):
        load_profile("onss", ["onss.accounts.0.username=ROOT"])
    with pytest.raises(UsageError, match=r"expected PARTNER\.KEY=VALUE"):
        load_profile("onss", ["onss.pickup.delay"])


def test_set_for_an_unknown_partner_is_refused_and_for_one_not_started_ignored() -> None:
    with pytest.raises(UsageError, match="no partner 'magdaa' is started"):
        load_profiles(["onss"], settings=["magdaa.pickup.delay=1m"])
    loaded = load_profiles(["onss"], settings=["magda.pickup.delay=1m"])
    assert [profile.name for profile in loaded] == ["onss"]


def test_failed_logins_default_and_limits() -> None:
    policy = load_profile("onss").failed_logins
    assert (policy.ban_after, str(policy.within), str(policy.ban_for)) == (10, "10m", "10m")
    assert load_profile("onss", ["onss.failed_logins.ban_after=null"]).failed_logins.ban_after is None
    with pytest.raises(ProfileError, match=r"failed_logins.ban_after=0: .*greater than or equal to 1"):
        load_profile("onss", ["onss.failed_logins.ban_after=0"])


def test_python_overrides_merge_into_the_profile() -> None:
    profile = load_profile("onss", overrides={"pickup": {"delay": "1m"}})
    assert profile.pickup is not None and str(profile.pickup.delay) == "1m"


def test_template_variables_are_checked(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "extends: onss\npickup:\n  answers:\n    accepted: {name: '${nam}.ACK', content: x}\n"
    )
    with pytest.raises(
        ProfileError, match=r"line 4: pickup\.answers\.accepted\.name: unknown variable\(s\) nam"
    ):
        load_profile(path)


def test_builtin_magda_profile_matches_the_page() -> None:
    profile = load_profile("magda")
    (endpoint,) = profile.endpoints.values()
    assert endpoint.protocol == "ftps"
    assert (endpoint.port, endpoint.tls_minimum, endpoint.passive_ports) == (21, "1.2", "40000-42000")
    assert endpoint.tls_before_login and endpoint.protected_data and endpoint.client_certificate == "required"
    table = {
        folder: (rule.rights, str(rule.retention))
        for folder, rule in profile.folders.items()
        if rule.retention
    }
    assert table == {
        "to_vip": (("list", "read", "write", "delete", "rename", "mkdir", "setstat"), "2mo"),
        "from_vip": (("list", "read", "write", "delete", "rename", "setstat"), "2mo"),
        "cache/to_vip": (("list", "read"), "14d"),
        "cache/from_vip": (("list", "read", "write", "delete", "rename", "setstat"), "14d"),
        "publiek": (("list", "read"), "1mo"),
    }
    assert profile.pickup is not None and profile.pickup.copy_to == "cache/to_vip"
    assert profile.pickup.unmatched == "ignore" and profile.pickup.after_pickup == "remove"


@pytest.mark.parametrize("written", ["10.1.2.1-10.1.2.9", "10.1.2.*", "10.0.0.0/24"])
def test_every_spelling_of_a_range_names_the_no_ranges_rule(tmp_path: Path, written: str) -> None:
    """MAGDA allows no ranges, however written: the error says so, not "not an address"."""
    ranged = _write(
        tmp_path, f"extends: magda\naccounts:\n  - username: a\n    ip_allowlist: ['{written}']\n"
    )
    with pytest.raises(ProfileError) as error:
        load_profile(ranged)
    assert f"'{written}' is a range: only single static addresses are allowed" in str(error.value)
    assert "not an IPv4 or IPv6 address" not in str(error.value)


def test_allowlist_refuses_ranges_and_an_eighth_address(tmp_path: Path) -> None:
    ranged = _write(tmp_path, "extends: magda\naccounts:\n  - username: a\n    ip_allowlist: [10.0.0.0/24]\n")
    with pytest.raises(ProfileError) as error:
        load_profile(ranged)
    message = str(error.value)
    assert "line 4: accounts[0].ip_allowlist[0]: '10.0.0.0/24' is a range" in message
    assert "at most 7 static IP addresses per account and never ranges" in message

    eight = ", ".join(f"192.0.2.{number}" for number in range(1, 9))
    crowded = _write(tmp_path, f"extends: magda\naccounts:\n  - username: a\n    ip_allowlist: [{eight}]\n")
    with pytest.raises(
        ProfileError, match=r"accounts\[0\]\.ip_allowlist: 8 addresses: at most 7 static addresses"
    ):
        load_profile(crowded)

    seven = ", ".join(["2001:db8::1", *(f"192.0.2.{number}" for number in range(1, 7))])
    fine = _write(
        tmp_path,
        f"extends: magda\naccounts:\n  - username: a\n    certificate: true\n    ip_allowlist: [{seven}]\n",
    )
    assert load_profile(fine).accounts[0].ip_allowlist is not None

    wrong = _write(
        tmp_path, "extends: magda\naccounts:\n  - username: a\n    ip_allowlist: [vipftps.local]\n"
    )
    with pytest.raises(ProfileError, match=r"'vipftps\.local' is not an IPv4 or IPv6 address"):
        load_profile(wrong)


def test_endpoint_errors_name_the_endpoint_not_its_protocol_tag() -> None:
    with pytest.raises(
        ProfileError, match=r"--set magda.endpoints.ftps.passive_ports=9-1: endpoints\.ftps\.passive_ports"
    ):
        load_profile("magda", ["magda.endpoints.ftps.passive_ports=9-1"])


def test_contract_rules_are_checked_when_the_profile_loads() -> None:
    with pytest.raises(ProfileError, match=r"contract\.no-rename\.match: a forbidden rule needs match"):
        load_profile("onss", ["onss.contract.no-rename.match=[]"])
    with pytest.raises(ProfileError, match=r"folders: folder 'OUTX' is not declared under folders"):
        load_profile("onss", ["onss.contract.answers-deleted-after-download.folders=[OUTX]"])


def _alias_bomb(levels: int) -> str:
    """The "billion laughs" as one flow value: each level lists the one before nine times (9**levels)."""
    parts = ["&lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    parts += [f"&lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    path = _write(
        tmp_path, f"extends: onss\ndescription: {_alias_bomb(9)}\n"
    )  # 24 s and 3 GB, then MemoryError
    with pytest.raises(
        ProfileError, match=r"partner\.yaml: line 2: its aliases \(\*name\) expand to more than"
    ):
        load_profile(path)
    with pytest.raises(UsageError, match=r"--set onss\.description=\[&lol0 .*: line 1: its aliases"):
        load_profile("onss", [f"onss.description={_alias_bomb(9)}"])


def test_nesting_and_self_containing_aliases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"line 2: nested more than 64 levels deep"):
        load_profile(_write(tmp_path, "extends: onss\ndescription: " + "[" * 900 + "]" * 900 + "\n"))
    with pytest.raises(ProfileError, match=r"line 2: an alias refers to the value holding it"):
        load_profile(_write(tmp_path, "extends: onss\ndescription: &loop [*loop]\n"))


def test_a_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "extends: onss\npickup:\n  delay: 5m\n  after_pickup: remove\n  delay: 10m\n")
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert str(raised.value) == (
        f"{path}: line 5: key 'delay' is written twice in one mapping (lines 3 and 5); keep one"
    )
    with pytest.raises(UsageError, match=r"--set onss.pickup=\{delay: 5m, delay: 6m\}: line 1: key 'delay'"):
        load_profile("onss", ["onss.pickup={delay: 5m, delay: 6m}"])


def test_merge_keys_keep_their_meaning(tmp_path: Path) -> None:
    """``<<: {...}`` merges, and what the mapping writes itself wins: that is not a duplicate key."""
    path = _write(
        tmp_path, "extends: onss\nfailed_logins:\n  <<: {ban_after: 3, within: 1m}\n  ban_after: 4\n"
    )
    profile = load_profile(path)
    assert profile.failed_logins.ban_after == 4 and profile.failed_logins.within.seconds == 60


@pytest.mark.parametrize(
    ("text", "setting", "where"),
    [
        ("extends: onss\naccounts:\n  - username: ../../x\n    sample_key: ed25519\n", None, "line 3: "),
        (None, "onss.accounts.0.username=../x", "--set onss.accounts.0.username=../x: "),
        (None, "onss.accounts.1.username=a/b", "--set onss.accounts.1.username=a/b: "),
    ],
)
def test_a_user_name_must_stay_one_folder_name(
    tmp_path: Path, text: str | None, setting: str | None, where: str
) -> None:
    """A user name names a home and a credentials folder: ``../x`` would put them outside the state
    directory, and ``reset`` would empty that folder. One problem is reported, not its echoes."""
    source = _write(tmp_path, text) if text else "onss"
    with pytest.raises(ProfileError) as raised:
        load_profile(source, [setting] if setting else [])
    message = str(raised.value)
    assert message.startswith("invalid profile: " + (f"{source}, " if text else "") + where)
    assert "user name cannot" in message and "\n" not in message


@pytest.mark.parametrize("name", builtin_names())
def test_a_profile_written_as_json_reads_back_the_same(name: str) -> None:
    """Durations are written as a profile writes them ("1h", "2mo"), so a JSON dump of a profile (the admin
    API, a tool's cache) is a profile again."""
    profile = load_profile(name)
    assert type(profile).model_validate(profile.model_dump(mode="json")) == profile


def test_a_duration_that_is_not_text_or_a_number_is_one_clear_error(tmp_path: Path) -> None:
    written = tmp_path / "mine.yaml"
    written.write_text("extends: onss\npickup:\n  delay: {minutes: 5}\n")
    with pytest.raises(
        ProfileError, match=r"pickup\.delay: not a duration: \{'minutes': 5\} \(expected e\.g\. 30s"
    ):
        load_profile(written)
