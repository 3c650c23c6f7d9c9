// Partners: endpoints, host keys, certificates, accounts with their credentials' paths, and commands to paste.
import { api, attempt, copyable, enc, h, partners, table } from "./common.js";

function endpointRows(partner) {
  return Object.values(partner.endpoints).map((endpoint) => {
    const keys = endpoint.host_keys.map((key) =>
      h("div.fingerprint", {}, `${key.algorithm}${key.bits ? " " + key.bits : ""} ${key.sha256} ${key.md5}`));
    const tls = endpoint.tls ? [
      h("div", {}, `${endpoint.tls.mode} TLS ≥ ${endpoint.tls.minimum_version}, client certificate ${endpoint.tls.client_certificate}`),
      h("div.fingerprint", {}, `certificate SHA256 ${endpoint.tls.certificate_sha256}`),
      h("div", {}, `issued by ${endpoint.tls.issuer}; trust ${endpoint.tls.ca_file}`),
    ] : [];
    const nominal = endpoint.port !== endpoint.nominal_port ? ` (nominal ${endpoint.nominal_port})` : "";
    return h("tr", {}, h("td", {}, endpoint.name), h("td", {}, endpoint.protocol),
      h("td", {}, h("code", {}, `${endpoint.host}:${endpoint.port}`), nominal),
      h("td", {}, keys, tls, endpoint.known_hosts_file ? h("div", {}, `known_hosts ${endpoint.known_hosts_file}`) : ""));
  });
}

function credentials(account) {
  const lines = [];
  if (account.key) {
    lines.push(`key ${account.key.private_key}`, `public key ${account.key.public_key}`);
    if (account.key.passphrase) lines.push(`passphrase ${account.key.passphrase} (file ${account.key.passphrase_file})`);
  }
  if (account.certificate) {
    lines.push(`certificate ${account.certificate.certificate}`, `key ${account.certificate.key}`);
    if (account.certificate.pkcs12) lines.push(`PKCS#12 ${account.certificate.pkcs12} (password ${account.certificate.pkcs12_password})`);
  }
  if (account.password) lines.push(`password ${account.password}`);
  if (account.ip_allowlist) lines.push(`allowed from ${account.ip_allowlist.join(", ")}`);
  return lines.length ? lines.map((line) => h("div", {}, line)) : "no sample credentials";
}

function accountRows(partner) {
  return partner.accounts.map((account) => h("tr", {},
    h("td", {}, h("strong", {}, account.username), account.name ? ` (${account.name})` : ""),
    h("td", {}, account.description), h("td", {}, account.auth.join(", ")),
    h("td", {}, account.endpoints.join(", ")), h("td.paths", {}, credentials(account))));
}

function commandBlocks(commands) {
  return commands.accounts.map((account) => h("details.commands", { dataset: { account: account.username } },
    h("summary", {}, `Commands for ${account.username}`),
    account.endpoints.map((endpoint) => h("div", {},
      h("h4", {}, `${endpoint.endpoint}`),
      endpoint.commands.length ? endpoint.commands.map((command) => h("div.command", { dataset: { client: command.client } },
        h("span.client", {}, command.client), copyable(command.text))) : h("p", {}, "no sample credentials for this endpoint")))));
}

export async function render(content, shell) {
  for (const partner of await partners()) {
    const commands = await api("GET", `/v1/partners/${enc(partner.name)}/commands`);
    const reset = h("button.reset", { type: "button", title: "Empty the homes and the spool, scenarios back to the profile's (the journal is kept)" }, "Reset");
    reset.addEventListener("click", () => attempt(`${partner.name} reset`, async () => {
      await api("POST", `/v1/partners/${enc(partner.name)}/reset`, {});
      await shell.refreshBanner();
    }));
    content.append(h("section.partner", { id: `partner-${partner.name}`, dataset: { partner: partner.name } },
      h("h2", {}, partner.name, h("span.title", {}, ` ${partner.title}`), " ", reset),
      partner.real_host ? h("p", {}, `Stands in for ${partner.real_host}.`) : "",
      table(["Endpoint", "Protocol", "Address", "Identity"], endpointRows(partner), "endpoints"),
      table(["Account", "Description", "Logs in with", "Endpoints", "Credentials"], accountRows(partner), "accounts"),
      commandBlocks(commands)));
  }
}
