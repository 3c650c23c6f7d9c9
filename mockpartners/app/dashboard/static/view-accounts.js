// Accounts: create, change, remove; remote folders where the partner keeps them (Lucca's module).
import { api, attempt, enc, h, partners, table } from "./common.js";

function folders(base, account, reload) {
  const name = h("input", { name: "folder-name", placeholder: "name" });
  const path = h("input", { name: "folder-path", placeholder: "/path" });
  const use = h("input", { name: "folder-use", placeholder: "use (import, export, exchange)" });
  const add = h("form.inline", {}, name, path, use, h("button", { type: "submit" }, "Add a folder"));
  add.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const body = { name: name.value.trim(), path: path.value.trim() };
    if (use.value.trim()) body.use = use.value.trim();
    if (await attempt(`folder ${body.name} added`, () => api("POST", `${base}/remote-folders`, body)) !== undefined) await reload();
  });
  return h("div.remote-folders", {}, account.remote_folders.map((folder) => h("div", { dataset: { folder: folder.name } },
    `${folder.name} → ${folder.path} (${folder.use}) `,
    h("button.danger", { type: "button", onclick: async () => {
      if (await attempt(`folder ${folder.name} removed`, () => api("DELETE", `${base}/remote-folders/${enc(folder.name)}`)) !== undefined) await reload();
    } }, "Remove"))), add);
}

function accountRow(partner, account, reload) {
  const base = `/v1/partners/${enc(partner)}/accounts/${enc(account.username)}`;
  const password = h("input", { name: "password", placeholder: "new password" });
  const change = h("form.inline", {}, password, h("button", { type: "submit" }, "Set"),
    h("button", { type: "button", onclick: async () => {
      if (await attempt("password generated", () => api("PATCH", base, { password: true })) !== undefined) await reload();
    } }, "Generate"));
  change.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    if (await attempt("password changed", () => api("PATCH", base, { password: password.value })) !== undefined) await reload();
  });
  const login = h("input", { name: "login", value: account.username, "aria-label": "login" });
  const description = h("input", { name: "description", value: account.description, "aria-label": "description" });
  const edit = h("form.inline.edit", {}, login, description, h("button", { type: "submit" }, "Save"));
  edit.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const body = { description: description.value };
    if (login.value.trim() !== account.username) body.username = login.value.trim();
    if (await attempt(`${body.username || account.username} saved`, () => api("PATCH", base, body)) !== undefined) await reload();
  });
  const remove = h("button.danger", { type: "button", onclick: async () => {
    if (await attempt(`${account.username} removed`, () => api("DELETE", `${base}?cut_sessions=true`)) !== undefined) await reload();
  } }, "Remove");
  return h("tr", { dataset: { account: account.username } },
    h("td", {}, h("strong", {}, account.username), account.name ? ` (${account.name})` : ""),
    h("td", {}, account.description), h("td", {}, account.password || ""), h("td", {}, `${account.live_sessions}`),
    h("td", {}, edit, change, account.remote_folders.length ? folders(base, account, reload) : "", remove));
}

async function section(partner) {
  const element = h("section.partner", { dataset: { partner } });
  const reload = async () => {
    const { accounts } = await api("GET", `/v1/partners/${enc(partner)}/accounts`);
    const username = h("input", { name: "username", placeholder: "login" });
    const description = h("input", { name: "description", placeholder: "description" });
    const create = h("form.inline.create", {}, username, description, h("button", { type: "submit" }, "Create (password generated)"));
    create.addEventListener("submit", async (submitted) => {
      submitted.preventDefault();
      const body = { username: username.value.trim(), password: true, description: description.value };
      if (await attempt(`${body.username} created`, () => api("POST", `/v1/partners/${enc(partner)}/accounts`, body)) !== undefined) await reload();
    });
    element.replaceChildren(h("h2", {}, partner),
      table(["Account", "Description", "Password", "Live sessions", "Change"], accounts.map((account) => accountRow(partner, account, reload)), "accounts"),
      create);
  };
  await reload();
  return element;
}

export async function render(content) {
  for (const partner of await partners()) content.append(await section(partner.name));
}
