"""The short text ``mockpartners up`` prints: where each partner listens and commands ready to paste."""

from __future__ import annotations

import shlex
from pathlib import Path

from ..infra.endpoints import AccountInfo, EndpointInfo, PartnerInfo, SuiteInfo
from .clients import curl_commands, ftps_commands, sftp_commands

__all__ = ["render"]


def render(suite: SuiteInfo, program: str = "mockpartners") -> str:
    """The cheat-sheet; ``program`` is how the user ran us, so the journal command can be pasted as is."""
    lines = [f"mockpartners: state in {suite.state_dir} (endpoints: {suite.state_dir}/endpoints.json)", ""]
    for partner in suite.partners.values():
        lines.extend(_partner(partner))
        lines.append("")
    state = shlex.quote(suite.state_dir)
    if suite.admin is not None:
        token = f", token in {suite.admin.token_file}" if suite.admin.token_file else ""
        lines.append(f"admin:    {suite.admin.url} (OpenAPI {suite.admin.openapi}{token})")
        lines.append(f"          {program} status --state-dir {state}   (also: scenario, clock, report)")
        first_time = f"  (once: ?token=$(cat {suite.admin.token_file}))" if suite.admin.token_file else ""
        lines.append(f"dashboard: {suite.admin.url}/dashboard/{first_time}")
    if suite.outbox is not None:
        relay = f", also relayed to {suite.outbox.relay}" if suite.outbox.relay else ""
        lines.append(f"mail:     smtp://{suite.outbox.host}:{suite.outbox.port} (outbox{relay})")
        lines.append(f"          {program} mail list --state-dir {state}")
    lines.append(f"journal:  {program} journal --follow --state-dir {state}")
    lines.append("stop:     Ctrl-C")
    return "\n".join(lines)


def _partner(partner: PartnerInfo) -> list[str]:
    real = f" (stands in for {partner.real_host})" if partner.real_host else ""
    lines = [f"{partner.name}: {partner.title}{real}"]
    for endpoint in partner.endpoints.values():
        moved = f" (nominal port {endpoint.nominal_port})" if endpoint.port != endpoint.nominal_port else ""
        if endpoint.tls is not None:
            tls = endpoint.tls
            moved += f"  {tls.mode} TLS >= {tls.minimum_version}"
            moved += f", passive ports {tls.passive_ports}" if tls.passive_ports else ""
        lines.append(f"  {endpoint.url()}{moved}")
        for key in endpoint.host_keys:
            algorithm = f"{key.algorithm} {key.bits}" if key.bits else key.algorithm
            lines.append(f"    host key  {algorithm:<12} {key.sha256}  {key.md5}")
        if endpoint.tls is not None:
            lines.append(f"    server certificate  SHA256 {endpoint.tls.certificate_sha256}")
            lines.append(f"    issued by {endpoint.tls.issuer}; trust the root {endpoint.tls.ca_file}")
    lines.append("  accounts")
    for account in partner.accounts:
        lines.extend(f"    {line}" for line in _credentials(account, tuple(partner.endpoints)))
    if partner.wrong_key:
        lines.append(f"    (a key no account accepts: {partner.wrong_key.private_key})")
    if partner.training_certificates:
        names = ", ".join(partner.training_certificates)
        folder = Path(next(iter(partner.training_certificates.values())).certificate).parent.parent
        lines.append(f"    (certificates the partner refuses, for training: {names}, in {folder})")
    commands = [command for endpoint in partner.endpoints.values()
                for command in _first_commands(endpoint, partner.accounts)]  # fmt: skip
    if commands:
        lines.append("  try")
        lines.extend(f"    {command}" for command in commands)
    return lines


def _first_commands(endpoint: EndpointInfo, accounts: tuple[AccountInfo, ...]) -> list[str]:
    """Commands for the first account that may log in on ``endpoint`` with its sample credentials."""
    commands = _COMMANDS.get(endpoint.protocol)
    if commands is None:
        return []
    for account in accounts:
        if not account.endpoints or endpoint.name in account.endpoints:
            found = commands(endpoint, account)
            if found:
                return found
    return []


def _credentials(account: AccountInfo, endpoints: tuple[str, ...]) -> list[str]:
    lines = []
    if account.key is not None:
        text = f"{account.username:<12} key {account.key.private_key}"
        if account.key.passphrase:
            text += f"  passphrase {account.key.passphrase}"
        lines.append(text)
    if account.certificate is not None:
        certificate = account.certificate
        lines.append(f"{account.username:<12} certificate {certificate.certificate}")
        lines.append(f"{'':<12} key {certificate.key}")
        if certificate.pkcs12:
            lines.append(f"{'':<12} PKCS#12 {certificate.pkcs12} (password {certificate.pkcs12_password})")
    if account.password is not None:
        lines.append(f"{account.username:<12} password {account.password}")
    if not lines:
        lines.append(f"{account.username:<12} (no sample credentials)")
    if account.ip_allowlist is not None:
        lines.append(f"{'':<12} allowed from {', '.join(account.ip_allowlist)}")
    if account.endpoints and set(account.endpoints) != set(endpoints):
        lines.append(f"{'':<12} only on {', '.join(account.endpoints)}")
    return lines


_COMMANDS = {
    "sftp": sftp_commands,
    "ftps": ftps_commands,
    "http": curl_commands,
    "smtp": curl_commands,
    "pop3": curl_commands,
}
"""Paste-ready commands per protocol (a protocol without an entry gets none)."""
