"""A partner's credentials in its state folder: SSH keys, or TLS chains and client certificates.

Everything is made on first use and read back afterwards. Only an explicit request retires something
(host key rotation, server certificate renewal): the old files move aside into ``retired-*`` folders.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..model._schema import Profile
from ..model.errors import StateError
from .atomic import load_or_create_secret
from .certificates import CertificateAuthority, IssuedCertificate, expired_window
from .ssh_keys import KeyPair, key_file_name, load_or_create_key_pair, public_key_line

__all__ = [
    "AccountCredentials",
    "SshCredentials",
    "TlsCredentials",
    "account_passwords",
    "changed_host_keys",
    "renew_server_certificate",
    "retire",
    "ssh_credentials",
    "tls_credentials",
]


@dataclass(frozen=True)
class AccountCredentials:
    username: str
    key: KeyPair | None
    authorized: tuple[str, ...]
    """OpenSSH public key lines this account accepts (its sample key and the profile's own)."""


@dataclass(frozen=True)
class SshCredentials:
    host_keys: tuple[KeyPair, ...]
    accounts: dict[str, AccountCredentials]
    wrong_key: KeyPair | None


@dataclass(frozen=True)
class TlsCredentials:
    base: Path
    profile: Profile
    root: CertificateAuthority
    """The server chain's root: what clients put in their trust store."""
    issuing: CertificateAuthority
    server: IssuedCertificate
    client_ca: CertificateAuthority
    """Issues (and verifies) client certificates."""
    untrusted_ca: CertificateAuthority
    """A CA the partner does not trust (training certificates, the "untrusted" scenarios)."""
    accounts: dict[str, IssuedCertificate]
    training: dict[str, IssuedCertificate]
    """Certificates the partner refuses, for training: ``expired``, ``wrong-cn``, ``untrusted``."""

    def account_certificate(self, username: str) -> IssuedCertificate:
        """The client certificate of ``username`` (its CN), issued by the client CA on first use, with its
        PKCS#12 forms; kept, so asking again costs nothing."""
        issued = self.accounts.get(username)
        if issued is None:
            issued = self.accounts[username] = _account_certificate(self.client_ca, self.base, username)
        return issued

    def scenario_server(self, kind: str) -> IssuedCertificate:
        """Server certificates for the certificate scenarios (made on first use): ``untrusted`` (another
        CA), ``expired`` (same chain), ``renewed`` (a new issuing CA under the same root)."""
        folder = self.base / "scenarios" / f"server-{kind}"
        names = _server_names(self.profile)
        common_name = self.profile.real_host or self.profile.name
        if kind == "untrusted":
            return self.untrusted_ca.issue(folder, common_name, names)
        if kind == "expired":
            not_before, not_after = expired_window()
            return self.issuing.issue(folder, common_name, names, not_before=not_before, not_after=not_after)
        certificates = self.profile.certificates
        renewed = CertificateAuthority.load_or_create(
            self.base / "scenarios" / "renewed-issuing-ca",
            certificates.organization,
            f"{certificates.server_issuing_ca} (renewed)",
            parent=self.root,
        )
        return renewed.issue(folder, common_name, names, organization=certificates.server_organization)

    def expired_client_ca(self) -> CertificateAuthority:
        """The client CA expired (same name and key): trusted alone, it makes every client certificate
        fail as expired (scenario ``client-certificate-expired``). Made on first use."""
        return self.client_ca.expired_twin(self.base / "scenarios" / "expired-client-ca")

    def make_scenario_credentials(self) -> None:
        """Everything the certificate scenarios serve or trust, made now rather than on first use."""
        for kind in ("untrusted", "expired", "renewed"):
            self.scenario_server(kind)
        self.expired_client_ca()


def retire(*paths: Path) -> None:
    """Move files or folders aside into ``retired-TIMESTAMP`` next to them: never deleted."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for path in paths:
        if path.exists():
            target = path.parent / f"retired-{stamp}" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)


def ssh_credentials(base: Path, profile: Profile, *, new_host_keys: bool = False) -> SshCredentials:
    key_types = _host_key_types(profile)
    if new_host_keys and (base / "host").exists():
        retire(*(entry for entry in (base / "host").iterdir() if entry.is_file()))
    host_keys = tuple(
        load_or_create_key_pair(base / "host" / key_file_name(key_type, host=True), key_type)
        for key_type in key_types
    )
    accounts = {}
    for account in profile.accounts:
        pair = None
        if account.sample_key:
            folder = base / "accounts" / account.username
            pair = load_or_create_key_pair(
                folder / key_file_name(account.sample_key),
                account.sample_key,
                passphrase_file=folder / "passphrase" if account.passphrase else None,
                private=False,
            )
        authorized = ([pair.public_line] if pair else []) + [
            _public_key_line(k) for k in account.authorized_keys
        ]
        accounts[account.username] = AccountCredentials(account.username, pair, tuple(authorized))
    wrong = None
    if profile.wrong_key:
        wrong = load_or_create_key_pair(
            base / "wrong" / key_file_name(profile.wrong_key), profile.wrong_key, private=False
        )
    return SshCredentials(host_keys, accounts, wrong)


def account_passwords(base: Path, profile: Profile) -> dict[str, str]:
    """Each account's sample password: the one its profile gives, or one generated on first use into
    ``accounts/USER/password`` (readable by this user only) and kept ever after."""
    passwords = {}
    for account in profile.accounts:
        if isinstance(account.password, str):
            passwords[account.username] = account.password
        elif account.password:
            path = base / "accounts" / account.username / "password"
            passwords[account.username] = load_or_create_secret(path, f"the password of {account.username}")
    return passwords


def changed_host_keys(base: Path, profile: Profile) -> tuple[KeyPair, ...]:
    """Other host keys of the same types, for the "host key changed" scenario (made on first use)."""
    return tuple(
        load_or_create_key_pair(base / "host-changed" / key_file_name(key_type, host=True), key_type)
        for key_type in _host_key_types(profile)
    )


def _host_key_types(profile: Profile) -> list[str]:
    """The host key types the profile's endpoints present, each once, in the order they are first named."""
    return list(
        dict.fromkeys(key for endpoint in profile.endpoints.values() for key in endpoint.host_key_types())
    )


def tls_credentials(base: Path, profile: Profile) -> TlsCredentials:
    names = profile.certificates
    root = CertificateAuthority.load_or_create(
        base / "server-root-ca", names.organization, names.server_root_ca
    )
    issuing = CertificateAuthority.load_or_create(
        base / "server-issuing-ca", names.organization, names.server_issuing_ca, parent=root
    )
    server = issuing.issue(
        base / "server",
        profile.real_host or profile.name,
        _server_names(profile),
        organization=names.server_organization,
    )
    client_ca = CertificateAuthority.load_or_create(base / "client-ca", names.organization, names.client_ca)
    untrusted_ca = CertificateAuthority.load_or_create(base / "untrusted-ca", "Somebody else", "Untrusted CA")
    with_certificates = [account.username for account in profile.accounts if account.certificate]
    accounts = {username: _account_certificate(client_ca, base, username) for username in with_certificates}
    training = {}
    if with_certificates:
        training = _training_certificates(base, client_ca, untrusted_ca, with_certificates[0])
    return TlsCredentials(base, profile, root, issuing, server, client_ca, untrusted_ca, accounts, training)


def renew_server_certificate(base: Path, profile: Profile, *, new_issuing_ca: bool = False) -> TlsCredentials:
    """A new server certificate (and, on request, a new issuing CA) under the same root."""
    retire(base / "server", *([base / "server-issuing-ca"] if new_issuing_ca else []))
    return tls_credentials(base, profile)


def _account_certificate(client_ca: CertificateAuthority, base: Path, username: str) -> IssuedCertificate:
    return client_ca.issue(base / "accounts" / username, username, pkcs12=True, legacy_pkcs12=True)


def _training_certificates(
    base: Path, client_ca: CertificateAuthority, untrusted_ca: CertificateAuthority, username: str
) -> dict[str, IssuedCertificate]:
    """Certificates for ``username`` that the partner must refuse, each for one reason."""
    not_before, not_after = expired_window()
    return {
        "expired": client_ca.issue(
            base / "training" / "expired", username, not_before=not_before, not_after=not_after, pkcs12=True
        ),
        "wrong-cn": client_ca.issue(base / "training" / "wrong-cn", f"not-{username}", pkcs12=True),
        "untrusted": untrusted_ca.issue(base / "training" / "untrusted", username, pkcs12=True),
    }


def _server_names(profile: Profile) -> tuple[str, ...]:
    names = [profile.real_host] if profile.real_host else []
    for endpoint in profile.endpoints.values():
        names.extend(endpoint.certificate_names())
    return tuple(dict.fromkeys([*names, "localhost", "127.0.0.1", "::1"]))


def _public_key_line(value: str) -> str:
    """An authorized key given in a profile: an OpenSSH public key line, or the path of a .pub file."""
    text = value.strip()
    if not text.startswith(("ssh-", "ecdsa-", "sk-")):
        try:
            text = Path(text).expanduser().read_text(encoding="utf-8").strip()
        except OSError as error:
            raise StateError(
                f"authorized key {value!r}: neither a public key line nor a readable file ({error.strerror})"
            ) from None
    try:
        return public_key_line(text)
    except ValueError as error:
        raise StateError(f"authorized key {value[:60]!r}: {error}") from None
