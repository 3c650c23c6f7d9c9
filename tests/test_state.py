"""The state directory: credentials made once and kept, endpoints.json, and refusals that touch nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import asyncssh
import pytest
from cryptography import x509

from mockpartners import Runtime, Suite, SuiteInfo
from mockpartners.model.errors import PortInUseError, StateError, UsageError


def _suite(
    state: Path, credentials: Path, *, new_host_keys: bool = False, settings: tuple[str, ...] = ()
) -> Suite:
    return Suite(
        ["onss"],
        state_dir=state,
        ports="ephemeral",
        credentials_from=credentials,
        new_host_keys=new_host_keys,
        settings=settings,
    )


def test_credentials_survive_restarts(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with _suite(tmp_path / "state", mockpartners_credentials) as suite:
        first = suite.info["onss"]
    with _suite(tmp_path / "state", mockpartners_credentials) as suite:
        second = suite.info["onss"]
    assert first.endpoint().host_keys == second.endpoint().host_keys
    assert first.accounts == second.accounts


def test_new_host_keys_only_when_asked_and_old_ones_kept(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    with _suite(tmp_path / "state", mockpartners_credentials) as suite:
        before = suite.info["onss"].endpoint().host_keys[0]
    with _suite(tmp_path / "state", mockpartners_credentials, new_host_keys=True) as suite:
        after = suite.info["onss"].endpoint().host_keys[0]
    assert before.sha256 != after.sha256
    retired = list((tmp_path / "state" / "onss" / "credentials" / "host").glob("retired-*/ssh_host_rsa_key"))
    assert len(retired) == 1


def test_endpoints_json_describes_everything_with_absolute_paths(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    state = tmp_path / "state"
    with _suite(state, mockpartners_credentials) as suite:
        data = json.loads((state / "endpoints.json").read_text())
        port = suite["onss"].endpoint().port
    assert data["format"] == 1 and data["status"] == "running" and data["pid"] == os.getpid()
    assert data["state_dir"] == str(state) and Path(data["journal"]).is_absolute()
    onss = data["partners"]["onss"]
    (endpoint,) = onss["endpoints"].values()
    assert (endpoint["protocol"], endpoint["host"], endpoint["port"], endpoint["nominal_port"]) == (
        "sftp",
        "127.0.0.1",
        port,
        8022,
    )
    key = endpoint["host_keys"][0]
    assert key["algorithm"] == "ssh-rsa" and key["bits"] == 4096
    assert key["sha256"].startswith("SHA256:") and key["md5"].startswith("MD5:")
    assert Path(endpoint["known_hosts_file"]).is_file()
    accounts = {account["username"]: account for account in onss["accounts"]}
    assert set(accounts) == {"EXP0000001", "UM0000002"}
    for account in accounts.values():
        for file in (account["key"]["private_key"], account["key"]["public_key"], account["home"]):
            assert Path(file).is_absolute() and Path(file).exists()
    assert accounts["UM0000002"]["key"]["passphrase"]
    assert (
        Path(accounts["UM0000002"]["key"]["passphrase_file"]).read_text().strip()
        == (accounts["UM0000002"]["key"]["passphrase"])
    )
    assert Path(onss["wrong_key"]["private_key"]).exists()
    stopped = SuiteInfo.load(state / "endpoints.json")
    assert stopped.status == "stopped"
    assert stopped["onss"].account("UM0000002").passphrase == accounts["UM0000002"]["key"]["passphrase"]


def test_corrupt_key_is_a_clear_error_and_is_not_replaced(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    state = tmp_path / "state"
    with _suite(state, mockpartners_credentials):
        pass
    host_key = state / "onss" / "credentials" / "host" / "ssh_host_rsa_key"
    host_key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(StateError, match=rf"{host_key}: not a usable private key"):
        _suite(state, mockpartners_credentials).start()
    assert host_key.read_text() == "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n"
    assert not any(state.glob("onss/credentials/host/retired-*"))


def test_state_dir_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_text("not a directory")
    with pytest.raises(StateError, match="exists and is not a directory"):
        Suite(["onss"], state_dir=path, ports="ephemeral").start()
    assert path.read_text() == "not a directory"


@pytest.mark.parametrize("path", ["/sys/kernel", "/sys/kernel/mockpartners"])
def test_unwritable_state_dir(path: str) -> None:
    """/sys refuses writes even to root, so this runs the same as any user."""
    with pytest.raises(StateError, match=f"cannot use state directory {path}: "):
        Suite(["onss"], state_dir=path, ports="ephemeral").start()


def test_one_process_per_state_dir(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with (
        _suite(tmp_path / "state", mockpartners_credentials),
        pytest.raises(StateError, match="is in use by"),
    ):
        _suite(tmp_path / "state", mockpartners_credentials).start()


def test_port_in_use_is_a_clear_error(tmp_path: Path, mockpartners_credentials: Path) -> None:
    with _suite(tmp_path / "first", mockpartners_credentials) as first:
        port = first["onss"].endpoint().port
        second = Suite(
            ["onss"],
            state_dir=tmp_path / "second",
            credentials_from=mockpartners_credentials,
            settings=[f"onss.endpoints.sftp.port={port}"],
        )
        with pytest.raises(PortInUseError, match=rf"port {port} on 127.0.0.1 is already in use"):
            second.start()
    third = Suite(["onss"], state_dir=tmp_path / "second", ports="ephemeral")
    third.start().stop()  # the failed start released the state directory


def test_endpoints_json_lists_every_tls_credential(tmp_path: Path, mockpartners_credentials: Path) -> None:
    state = tmp_path / "state"
    with Suite(["magda"], state_dir=state, ports="ephemeral", credentials_from=mockpartners_credentials):
        data = json.loads((state / "endpoints.json").read_text())
    magda = data["partners"]["magda"]
    tls = magda["endpoints"]["ftps"]["tls"]
    root = x509.load_pem_x509_certificate(Path(tls["ca_file"]).read_bytes())
    assert root.subject == root.issuer and "Root CA 2020" in root.subject.rfc4514_string()
    assert tls["minimum_version"] == "1.2" and tls["passive_ports"] == "40000-42000"
    assert tls["issuer"] == "Issuing CA 2 2020, Vlaamse overheid (mockpartners)"
    for account in magda["accounts"]:
        certificate = account["certificate"]
        assert certificate["common_name"] == account["username"]
        for key in ("certificate", "key", "pkcs12", "legacy_pkcs12"):
            assert Path(certificate[key]).is_absolute() and Path(certificate[key]).exists(), key
        assert certificate["pkcs12_password"]
        assert account["ip_allowlist"]
    training = magda["training_certificates"]
    assert set(training) == {"expired", "wrong-cn", "untrusted"}
    assert training["expired"]["not_after"].startswith("2021-01-01")
    assert training["wrong-cn"]["common_name"] == "not-afnemer-0001"
    assert training["untrusted"]["issuer"] == "Untrusted CA, Somebody else"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"admin": True, "admin_port": 99999}, "admin_port: expected a port number from 0 to 65535"),
        ({"admin": True, "admin_port": -5}, "admin_port: expected a port number from 0 to 65535"),
        ({"admin": True, "admin_port": "8470"}, "admin_port: expected a port number from 0 to 65535"),
        ({"ports": "random"}, "ports: expected 'nominal' or 'ephemeral', got 'random'"),
    ],
)
def test_a_bad_port_is_refused_before_the_state_dir_is_touched(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):  # the admin API's options are the runtime's
        Runtime(["onss"], state_dir=tmp_path / "state", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "state").exists()


def _accounts(state: Path) -> Path:
    return state / "onss" / "credentials" / "accounts"


def _started_once(state: Path, credentials: Path) -> None:
    with _suite(state, credentials):
        pass


def _wrong_public_key(state: Path) -> str:
    return (state / "onss" / "credentials" / "wrong" / "id_ed25519.pub").read_text()


@pytest.mark.parametrize(
    ("damaged", "content", "message"),
    [
        (
            "EXP0000001/id_rsa",
            lambda state: "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n",
            "{path}: not a usable private key .*restore it, or move it away",
        ),
        (
            "UM0000002/id_ed25519.pub",
            _wrong_public_key,
            "{path} does not match id_ed25519: .*delete it so that it is derived again",
        ),
    ],
)
def test_a_damaged_account_key_pair_is_a_clear_error_and_is_kept(
    tmp_path: Path, mockpartners_credentials: Path, damaged: str, content: Callable[[Path], str], message: str
) -> None:
    """The server reads only the public half of a sample key, but a pair clients cannot use (a corrupt key,
    a .pub of another key) must not start silently."""
    state = tmp_path / "state"
    _started_once(state, mockpartners_credentials)
    path = _accounts(state) / damaged
    path.write_text(content(state))
    with pytest.raises(StateError, match="^" + message.format(path=path)):
        _suite(state, mockpartners_credentials).start()
    assert path.read_text() == content(state)


def test_a_lost_passphrase_is_never_replaced_by_a_new_one(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    state = tmp_path / "state"
    _started_once(state, mockpartners_credentials)
    folder = _accounts(state) / "UM0000002"
    key_before = (folder / "id_ed25519").read_bytes()
    passphrase = folder / "passphrase"
    passphrase.unlink()
    with pytest.raises(
        StateError, match=rf"^{passphrase} is missing: it holds the passphrase of {folder}/id_ed25519"
    ):
        _suite(state, mockpartners_credentials).start()
    assert not passphrase.exists() and (folder / "id_ed25519").read_bytes() == key_before
    passphrase.write_text("not-the-passphrase\n")
    with pytest.raises(
        StateError, match=rf"^{passphrase}: this passphrase does not decrypt {folder}/id_ed25519"
    ):
        _suite(state, mockpartners_credentials).start()


def test_key_pairs_are_checked_once_not_at_every_start(
    tmp_path: Path, mockpartners_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decrypting every sample key at every start would slow every test's fresh state: a pair is checked when
    its files differ from what was checked last (a digest beside them), and read by its .pub otherwise."""
    decrypted: list[Path] = []
    read_private_key = asyncssh.read_private_key

    def counting(path: Path, *arguments: object, **options: object) -> asyncssh.SSHKey:
        decrypted.append(Path(path))
        return read_private_key(path, *arguments, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncssh, "read_private_key", counting)
    state = tmp_path / "state"
    _started_once(state, mockpartners_credentials)  # copied with the session's credentials, records included
    records = sorted(_accounts(state).glob("*/.id_*.verified"))
    assert [record.parent.name for record in records] == ["EXP0000001", "UM0000002"]
    assert not [path for path in decrypted if "accounts" in path.parts]
    records[1].unlink()
    _started_once(state, mockpartners_credentials)
    assert [path for path in decrypted if "accounts" in path.parts] == [
        _accounts(state) / "UM0000002" / "id_ed25519"
    ]
    assert records[1].exists()  # checked, and remembered
    decrypted.clear()
    _started_once(state, mockpartners_credentials)
    assert not [path for path in decrypted if "accounts" in path.parts]


def test_a_client_certificate_with_another_key_or_without_its_password_is_a_clear_error(
    tmp_path: Path, mockpartners_credentials: Path
) -> None:
    state = tmp_path / "state"
    with Suite(["magda"], state_dir=state, ports="ephemeral", credentials_from=mockpartners_credentials):
        pass
    accounts = state / "magda" / "credentials" / "tls" / "accounts"
    first, second = sorted(accounts.iterdir())[:2]
    original = (first / "key.pem").read_bytes()
    (first / "key.pem").write_bytes((second / "key.pem").read_bytes())
    with pytest.raises(StateError, match=rf"^{first}/key.pem is not the key of {first}/cert.pem"):
        Suite(["magda"], state_dir=state, ports="ephemeral").start()
    (first / "key.pem").write_bytes(original)
    (first / "p12-password").unlink()
    with pytest.raises(StateError, match=rf"^{first}/p12-password is missing: it holds the password of"):
        Suite(["magda"], state_dir=state, ports="ephemeral").start()
    assert not (first / "p12-password").exists()
