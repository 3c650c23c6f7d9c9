"""Keys the partners and their sample clients use: generated once, written without ever overwriting.

A file that exists is read, never replaced: a corrupt one is a clear error naming it, so that a user's
trusted host key or a client's key is not silently swapped for a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncssh

from ..model.errors import StateError
from ._verified_keys import remember_verified, verified
from .atomic import load_or_create_secret, write_new

__all__ = ["KeyPair", "key_file_name", "load_or_create_key_pair", "public_key_line"]

_ALGORITHMS = {"rsa": "ssh-rsa", "ed25519": "ssh-ed25519", "ecdsa": "ecdsa-sha2-nistp"}


@dataclass(frozen=True)
class KeyPair:
    """An SSH key pair on disk, with what clients compare: its fingerprints."""

    key: asyncssh.SSHKey
    private_path: Path
    public_path: Path
    key_type: str
    passphrase: str | None = None

    @property
    def algorithm(self) -> str:
        return self.key.get_algorithm()

    @property
    def sha256(self) -> str:
        return self.key.get_fingerprint("sha256")

    @property
    def md5(self) -> str:
        return self.key.get_fingerprint("md5")

    @property
    def bits(self) -> int | None:
        """The modulus size of an RSA key (what "ssh-rsa 4096" means), None for other families."""
        size = getattr(self.key.pyca_key, "key_size", None)
        return int(size) if self.algorithm == "ssh-rsa" and size else None

    @property
    def public_line(self) -> str:
        return self.key.export_public_key().decode().strip()


def key_file_name(key_type: str, *, host: bool = False) -> str:
    """OpenSSH's usual file names: ``ssh_host_rsa_key`` for a host, ``id_ed25519`` for a client."""
    family = key_type.partition("-")[0]
    return f"ssh_host_{family}_key" if host else f"id_{family}"


def public_key_line(text: str) -> str:
    """``text`` as one OpenSSH public key line (``ssh-ed25519 AAAA... comment``), or a ValueError saying why
    it is not one."""
    line = text.strip()
    if "\n" in line or "\r" in line:
        raise ValueError("one key per line: this text holds several lines")
    try:
        asyncssh.import_public_key(line)
    except (asyncssh.KeyImportError, ValueError) as error:
        raise ValueError(f"not an OpenSSH public key line ({error})") from None
    return line


def _generate(key_type: str) -> asyncssh.SSHKey:
    family, _, size = key_type.partition("-")
    if family == "rsa":
        return asyncssh.generate_private_key("ssh-rsa", key_size=int(size), comment="mockpartners")
    if family == "ecdsa":
        return asyncssh.generate_private_key(f"ecdsa-sha2-nistp{size}", comment="mockpartners")
    return asyncssh.generate_private_key(_ALGORITHMS[family], comment="mockpartners")


def _passphrase(passphrase_file: Path | None, private_path: Path) -> str | None:
    """The key's passphrase; made only for a key that does not exist yet: a new passphrase would never
    decrypt a key that exists."""
    if passphrase_file is None:
        return None
    if not passphrase_file.exists() and private_path.exists():
        raise StateError(
            f"{passphrase_file} is missing: it holds the passphrase of {private_path}; restore it, or "
            "move the key and its .pub away so that a new key and passphrase are generated"
        )
    return load_or_create_secret(passphrase_file, "the key's passphrase")


def load_or_create_key_pair(
    private_path: Path, key_type: str, *, passphrase_file: Path | None = None, private: bool = True
) -> KeyPair:
    """Read the pair at ``private_path``, generating it (and its passphrase) first if it does not exist.

    With ``private=False`` (a client's key, of which the server needs only the public half) the ``.pub``
    file is read instead: the private key is decrypted and checked against it only when one of the files
    changed since the last check (see :mod:`._verified`), which keeps every start fast.
    """
    passphrase = _passphrase(passphrase_file, private_path)
    public_path = private_path.with_name(private_path.name + ".pub")
    if not private_path.exists():
        _generate_files(private_path, public_path, key_type, passphrase)
    if not private and verified(private_path, public_path, passphrase):
        return KeyPair(_read_public(public_path), private_path, public_path, key_type, passphrase)
    key = _read_private(private_path, passphrase, passphrase_file)
    if public_path.exists():
        _check_public(key, public_path, private_path)
    else:
        write_new(public_path, key.export_public_key(), 0o644)
    if not private:
        remember_verified(private_path, public_path, passphrase)
    return KeyPair(key, private_path, public_path, key_type, passphrase)


def _generate_files(private_path: Path, public_path: Path, key_type: str, passphrase: str | None) -> None:
    key = _generate(key_type)
    # 16 bcrypt rounds, as ssh-keygen writes them (asyncssh's 128 costs clients a second per login)
    write_new(
        private_path,
        key.export_private_key("openssh", passphrase=passphrase, rounds=16, ignore_few_rounds=True),
        0o600,
    )
    if not public_path.exists():
        write_new(public_path, key.export_public_key(), 0o644)


def _read_public(public_path: Path) -> asyncssh.SSHKey:
    try:
        return asyncssh.read_public_key(public_path)
    except (OSError, ValueError, asyncssh.KeyImportError) as error:
        raise StateError(
            f"{public_path}: not a usable public key ({error}); restore it, or move it away so that "
            "it is derived again from the private key"
        ) from None


def _read_private(
    private_path: Path, passphrase: str | None, passphrase_file: Path | None
) -> asyncssh.SSHKey:
    try:
        # our own keys: cryptography's RSA consistency check would cost 0.2 s per 4096-bit key at every start
        return asyncssh.read_private_key(private_path, passphrase, unsafe_skip_rsa_key_validation=True)
    except asyncssh.KeyEncryptionError as error:
        if passphrase_file is not None:
            raise StateError(
                f"{passphrase_file}: this passphrase does not decrypt {private_path} ({error}); restore the "
                "passphrase file, or move the key, its .pub and the passphrase away to generate new ones"
            ) from None
        raise _unusable(private_path, error) from None
    except (OSError, ValueError, asyncssh.KeyImportError) as error:
        raise _unusable(private_path, error) from None


def _unusable(private_path: Path, error: Exception) -> StateError:
    return StateError(
        f"{private_path}: not a usable private key ({error}); restore it, or move it away so that "
        "a new one is generated (clients will then see a changed key)"
    )


def _check_public(key: asyncssh.SSHKey, public_path: Path, private_path: Path) -> None:
    """The ``.pub`` is what clients and the server's authorized keys use: it must be this key's."""
    if _read_public(public_path).public_data != key.public_data:
        raise StateError(
            f"{public_path} does not match {private_path.name}: the server would accept another key than "
            f"the one clients hold; restore it, or delete it so that it is derived again from {private_path}"
        )
