"""X.509 for TLS partners: CAs and certificates made with trustme, kept as PEM files in the state directory.

A certificate authority is a folder with ``ca.pem`` and ``ca.key``; an issued certificate is a folder with
``cert.pem`` (leaf, then the issuing chain), ``key.pem`` and, for clients, PKCS#12 forms. Each is created
on first use and read back ever after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ..model.errors import StateError
from .atomic import write_new

__all__ = ["CertificateAuthority", "IssuedCertificate"]


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its key on disk; client ones also as PKCS#12 (modern and legacy-encrypted)."""

    folder: Path
    common_name: str
    sha256: str
    not_after: datetime
    issuer: str
    pkcs12_password: str | None = None

    @property
    def certificate_path(self) -> Path:
        """Leaf first, then the CAs that issued it (a ready "certificate chain file")."""
        return self.folder / "cert.pem"

    @property
    def key_path(self) -> Path:
        return self.folder / "key.pem"

    @property
    def pkcs12_path(self) -> Path | None:
        path = self.folder / "cert.p12"
        return path if path.exists() else None

    @property
    def legacy_pkcs12_path(self) -> Path | None:
        path = self.folder / "legacy.p12"
        return path if path.exists() else None


def _sha256(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def _describe(name: x509.Name) -> str:
    """A readable name: the CN if any, else "unit, organisation" (how trustme names its CAs)."""
    common = _common_name(name)
    if common:
        return common
    parts = [
        name.get_attributes_for_oid(oid)
        for oid in (NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.ORGANIZATION_NAME)
    ]
    return ", ".join(str(values[0].value) for values in parts if values)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise StateError(f"{path}: cannot read ({error.strerror})") from None


class CertificateAuthority:
    """A CA in a folder: created once (as a root, or as a child of ``parent``), then loaded."""

    def __init__(
        self, folder: Path, certificate: x509.Certificate, authority: trustme.CA | None = None
    ) -> None:
        self.folder = folder
        self.certificate = certificate
        self._authority = authority

    @property
    def authority(self) -> trustme.CA:
        """The signing side, loaded only when something must be issued (RSA key loading is slow)."""
        if self._authority is None:
            try:
                self._authority = trustme.CA.from_pem(
                    _read(self.certificate_path), _read(self.folder / "ca.key")
                )
            except ValueError as error:
                raise StateError(f"{self.folder / 'ca.key'}: not a usable CA key ({error})") from None
        return self._authority

    @property
    def certificate_path(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def name(self) -> str:
        return _describe(self.certificate.subject)

    @classmethod
    def load_or_create(
        cls, folder: Path, organization: str, unit: str, parent: CertificateAuthority | None = None
    ) -> CertificateAuthority:
        """trustme names a CA by organisation and unit only (no CN): "Issuing CA 2 2020, Vlaamse overheid"."""
        certificate_file, key_file = folder / "ca.pem", folder / "ca.key"
        authority = None
        if not certificate_file.exists():
            authority = trustme.CA(
                parent_cert=parent.authority if parent else None,
                organization_name=organization,
                organization_unit_name=unit,
                key_type=trustme.KeyType.RSA,
            )
            write_new(key_file, authority.private_key_pem.bytes())
            write_new(certificate_file, authority.cert_pem.bytes(), 0o644)
        try:
            certificate = x509.load_pem_x509_certificate(_read(certificate_file))
        except ValueError as error:
            raise StateError(
                f"{folder}: not a usable certificate authority ({error}); restore it or move the folder away"
            ) from None
        return cls(folder, certificate, authority)

    def chain(self) -> list[bytes]:
        """PEM certificates from this CA up to (not including) the root: sent after a server's leaf."""
        return [] if self.certificate.issuer == self.certificate.subject else [_read(self.certificate_path)]

    def issue(
        self,
        folder: Path,
        common_name: str,
        identities: tuple[str, ...] = (),
        *,
        organization: str = "mockpartners",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        pkcs12: bool = False,
        legacy_pkcs12: bool = False,
    ) -> IssuedCertificate:
        """The certificate in ``folder``, issued now if it does not exist yet."""
        if not (folder / "cert.pem").exists():
            leaf = self.authority.issue_cert(
                *identities,
                common_name=common_name,
                organization_name=organization,
                not_before=not_before,
                not_after=not_after,
                key_type=trustme.KeyType.RSA,
            )
            write_new(folder / "key.pem", leaf.private_key_pem.bytes())
            write_new(folder / "cert.pem", leaf.cert_chain_pems[0].bytes() + b"".join(self.chain()), 0o644)
        password = _write_pkcs12(folder, legacy=legacy_pkcs12) if pkcs12 else None
        return load_issued(folder, password)

    def expired_twin(self, folder: Path) -> CertificateAuthority:
        """This root again (same name, same key, same extensions) but expired long ago, made on first use.

        A verifier that trusts only the twin refuses every certificate this CA issued as expired
        (X509 error 10 at the CA's depth, TLS alert ``certificate_expired``), whatever the TLS library: no
        verification clock to move, which Python's ``ssl`` cannot do.
        """
        if self.certificate.issuer != self.certificate.subject:
            raise StateError(f"{self.folder}: only a root CA has an expired twin")
        if not (folder / "ca.pem").exists():
            key = serialization.load_pem_private_key(_read(self.folder / "ca.key"), password=None)
            assert isinstance(key, rsa.RSAPrivateKey), "trustme keys are RSA here"
            not_before, not_after = expired_window()
            builder = (
                x509.CertificateBuilder()
                .subject_name(self.certificate.subject)
                .issuer_name(self.certificate.subject)
                .public_key(self.certificate.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before)
                .not_valid_after(not_after)
            )
            for extension in self.certificate.extensions:
                builder = builder.add_extension(extension.value, extension.critical)
            twin = builder.sign(key, hashes.SHA256())
            write_new(folder / "ca.pem", twin.public_bytes(serialization.Encoding.PEM), 0o644)
        return CertificateAuthority(folder, x509.load_pem_x509_certificate(_read(folder / "ca.pem")))


def load_issued(folder: Path, pkcs12_password: str | None = None) -> IssuedCertificate:
    """Read a certificate folder back; a corrupt one is a clear error."""
    try:
        certificate = x509.load_pem_x509_certificate(_read(folder / "cert.pem"))
        key = serialization.load_pem_private_key(
            _read(folder / "key.pem"), password=None, unsafe_skip_rsa_key_validation=True
        )
    except ValueError as error:
        raise StateError(
            f"{folder}: not a usable certificate and key ({error}); restore or move it away"
        ) from None
    if key.public_key() != certificate.public_key():
        raise StateError(
            f"{folder / 'key.pem'} is not the key of {folder / 'cert.pem'}: restore the pair, or move the "
            "folder away so that a new certificate is issued"
        )
    return IssuedCertificate(
        folder,
        _common_name(certificate.subject),
        _sha256(certificate),
        certificate.not_valid_after_utc,
        _describe(certificate.issuer),
        pkcs12_password,
    )


def _write_pkcs12(folder: Path, *, legacy: bool) -> str:
    """``cert.p12`` (modern encryption, as WinSCP and OpenSSL 3 read it) and, on request, ``legacy.p12``;
    both under the password kept in ``p12-password``, which is returned."""
    if not (folder / "p12-password").exists():
        if (folder / "cert.p12").exists():  # a new password would not open it
            raise StateError(
                f"{folder / 'p12-password'} is missing: it holds the password of {folder / 'cert.p12'}; "
                "restore it, or move cert.p12 and legacy.p12 away so that they are made again"
            )
        write_new(folder / "p12-password", os.urandom(8).hex().encode() + b"\n")
    password = _read(folder / "p12-password").decode().strip()
    if not (folder / "cert.p12").exists():
        certificates = x509.load_pem_x509_certificates(_read(folder / "cert.pem"))
        key = serialization.load_pem_private_key(_read(folder / "key.pem"), password=None)
        assert isinstance(key, rsa.RSAPrivateKey), "trustme keys are RSA here"
        data = pkcs12.serialize_key_and_certificates(
            _common_name(certificates[0].subject).encode(),
            key,
            certificates[0],
            certificates[1:] or None,
            serialization.BestAvailableEncryption(password.encode()),
        )
        write_new(folder / "cert.p12", data)
    if legacy and not (folder / "legacy.p12").exists():
        _write_legacy_pkcs12(folder, password)
    return password


def _write_legacy_pkcs12(folder: Path, password: str) -> None:
    """RC2-40 encryption, as ``openssl pkcs12 -export -legacy`` writes it and OpenSSL 3 refuses to read
    ("digital envelope routines::unsupported"). cryptography cannot write RC2, so the openssl tool does;
    without it the file is simply not made."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return
    temporary = folder / f".legacy.{os.getpid()}.p12"
    result = subprocess.run(
        [
            openssl,
            "pkcs12",
            "-export",
            "-legacy",
            "-in",
            str(folder / "cert.pem"),
            "-inkey",
            str(folder / "key.pem"),
            "-out",
            str(temporary),
            "-passout",
            f"pass:{password}",
        ],
        capture_output=True,
        timeout=60,
    )
    if result.returncode == 0:
        write_new(folder / "legacy.p12", temporary.read_bytes())
    temporary.unlink(missing_ok=True)


def expired_window() -> tuple[datetime, datetime]:
    """A validity that ended long ago, for the "expired certificate" training credentials."""
    return datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)
