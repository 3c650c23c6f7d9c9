"""The short text ``mockpartners up`` prints: where each partner listens and commands ready to paste."""

from __future__ import annotations

import shlex

from .endpoints import AccountInfo, EndpointInfo, PartnerInfo, SuiteInfo

__all__ = ["render"]


def render(suite: SuiteInfo, program: str = "mockpartners") -> str:
    """The cheat-sheet; ``program`` is how the user ran us, so the journal command can be pasted as is."""
    lines = [f"mockpartners: state in {suite.state_dir} (endpoints: {suite.state_dir}/endpoints.json)", ""]
    for partner in suite.partners.values():
        lines.extend(_partner(partner))
        lines.append("")
    lines.append(f"journal:  {program} journal --follow --state-dir {shlex.quote(suite.state_dir)}")
    lines.append("stop:     Ctrl-C")
    return "\n".join(lines)


def _partner(partner: PartnerInfo) -> list[str]:
    real = f" (stands in for {partner.real_host})" if partner.real_host else ""
    lines = [f"{partner.name}: {partner.title}{real}"]
    for endpoint in partner.endpoints.values():
        moved = f" (nominal port {endpoint.nominal_port})" if endpoint.port != endpoint.nominal_port else ""
        lines.append(f"  {endpoint.url()}{moved}")
        for key in endpoint.host_keys:
            algorithm = f"{key.algorithm} {key.bits}" if key.bits else key.algorithm
            lines.append(f"    host key  {algorithm:<12} {key.sha256}  {key.md5}")
    lines.append("  accounts")
    for account in partner.accounts:
        lines.append(f"    {account.username:<12} {_credentials(account)}")
    if partner.wrong_key:
        lines.append(f"    (a key no account accepts: {partner.wrong_key.private_key})")
    lines.append("  try")
    for endpoint in partner.endpoints.values():
        if endpoint.protocol == "sftp":
            lines.extend(f"    {command}" for command in sftp_commands(endpoint, partner.accounts[0]))
    return lines


def _credentials(account: AccountInfo) -> str:
    if account.key is None:
        return "(no sample key)"
    text = f"key {account.key.private_key}"
    if account.key.passphrase:
        text += f"  passphrase {account.key.passphrase}"
    return text


def sftp_commands(endpoint: EndpointInfo, account: AccountInfo) -> list[str]:
    """OpenSSH ``sftp`` and ``curl`` command lines that log in with the account's sample key."""
    if account.key is None:
        return []
    key = shlex.quote(account.key.private_key)
    options = ""
    if endpoint.known_hosts_file:
        options = f" -o UserKnownHostsFile={shlex.quote(endpoint.known_hosts_file)}"
    sftp = f"sftp -P {endpoint.port} -i {key}{options} {account.username}@{endpoint.host}"
    pin = ""
    if endpoint.host_keys:
        pin = f" --hostpubsha256 {endpoint.host_keys[0].sha256.removeprefix('SHA256:')}"
    password = f" --pass {shlex.quote(account.key.passphrase)}" if account.key.passphrase else ""
    curl = (
        f"curl -u {account.username}: --key {key} --pubkey {shlex.quote(account.key.public_key)}"
        f"{password}{pin} sftp://{endpoint.host}:{endpoint.port}/"
    )
    return [sftp, curl]
