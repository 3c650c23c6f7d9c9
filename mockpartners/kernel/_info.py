"""What a running partner tells its clients (the ``endpoints.json`` entry), built from its credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..infra.certificates import IssuedCertificate
from ..infra.endpoints import AccountInfo, CertificateInfo, KeyInfo, PartnerInfo, RemoteFolderInfo
from ..infra.ssh_keys import KeyPair
from ..model.loading import CustomerServer
from ..ports.accounts import AccountEntry

if TYPE_CHECKING:
    from .partner import Partner

__all__ = ["certificate_info", "key_info", "partner_info"]


def partner_info(partner: Partner) -> PartnerInfo:
    training = partner.tls.training if partner.tls else {}
    return PartnerInfo(
        partner.name,
        partner.profile.title,
        partner.profile.real_host,
        str(partner.tree.root),
        dict(partner.endpoint_infos),
        tuple(_account(partner, entry) for entry in partner.accounts),
        key_info(partner.ssh.wrong_key) if partner.ssh else None,
        {name: certificate_info(issued) for name, issued in training.items()},
    )


def _account(partner: Partner, entry: AccountEntry) -> AccountInfo:
    username = entry.username
    credentials = partner.ssh.accounts.get(username) if partner.ssh else None
    pair = credentials.key if credentials else None
    issued = None
    if partner.tls is not None and entry.account.certificate:
        issued = partner.tls.account_certificate(username)
    return AccountInfo(
        username,
        str(partner.tree.home(username).root),
        entry.account.description,
        key_info(pair) if pair is not None and tuple(pair.public_line.split()[:2]) in entry.key_ids else None,
        certificate_info(issued) if issued else None,
        entry.account.ip_allowlist,
        entry.password,
        entry.methods,
        entry.endpoints(partner.profile),
        entry.public_keys,
        entry.account.name,
        tuple(
            RemoteFolderInfo(folder.name, folder.path, folder.use) for folder in entry.account.remote_folders
        ),
        _server(entry.account.server),
    )


def _server(server: CustomerServer | None) -> str | None:
    return f"{server.type}://{server.login}@{server.address}" if server is not None else None


def key_info(pair: KeyPair | None) -> KeyInfo | None:
    if pair is None:
        return None
    passphrase_file = pair.private_path.parent / "passphrase"
    return KeyInfo(
        str(pair.private_path),
        str(pair.public_path),
        pair.sha256,
        pair.passphrase,
        str(passphrase_file) if pair.passphrase is not None else None,
    )


def certificate_info(issued: IssuedCertificate) -> CertificateInfo:
    return CertificateInfo(
        issued.common_name,
        str(issued.certificate_path),
        str(issued.key_path),
        issued.sha256,
        issued.not_after.isoformat(),
        issued.issuer,
        str(issued.pkcs12_path) if issued.pkcs12_path else None,
        issued.pkcs12_password,
        str(issued.legacy_pkcs12_path) if issued.legacy_pkcs12_path else None,
    )
