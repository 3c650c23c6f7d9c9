// Files: each account's tree as the partner sees it, with file states where the partner has them (the XFB
// gateway's B, T, E; TEDECO's mail statuses, on each chrono file and in a table of every request);
// download, drop a file as the partner, delete; and the partner's own desk, read-only.
import { ApiError, api, attempt, enc, filesPath, h, partners, upload } from "./common.js";

const DESK = ":desk";

function size(bytes) {
  return bytes === null ? "" : bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function badgeText(entry) {
  const { local_ident: ident, label } = entry.details;
  return ident !== undefined ? `state ${entry.state} (local_ident ${ident})` : label ? `${entry.state} (${label})` : entry.state;
}

function detailText(details) {
  return Object.entries(details).map(([key, value]) => (typeof value === "object" && value !== null
    ? `${key} (${Object.entries(value).map(([inner, moment]) => `${inner} ${moment}`).join(", ")})`
    : `${key} ${value}`)).join(" · ");
}

class Tree {
  constructor(partner, account, root, statesRoot) {
    this.partner = partner;
    this.account = account;
    this.root = root;
    this.statesRoot = statesRoot;
    this.desk = account === DESK;
    this.states = new Map(); // by the path of the file showing the state
    this.listed = null; // as the route lists them; null: the partner keeps none
  }

  path(path = "") {
    if (!this.desk) return filesPath(this.partner, this.account, path);
    const base = `/v1/partners/${enc(this.partner)}/desk`;
    return path ? `${base}/${path.split("/").map(enc).join("/")}` : base;
  }

  // the state a file of the tree shows (the XFB gateway's B, T, E; TEDECO's chrono file: its mail's status)
  state(path) {
    const entry = this.states.get(path);
    if (!entry) return "";
    const badge = h(`span.state.state-${entry.state}`, { dataset: { state: entry.state, kind: entry.kind } }, badgeText(entry));
    if (entry.kind !== "xfb" || entry.state !== "E") return badge;
    return [badge, this.makeAvailable(entry.name)];
  }

  // the XFB gateway's S.A.U.: "remise à disposition", the file back in state B
  makeAvailable(name) {
    const path = `/v1/partners/${enc(this.partner)}/accounts/${enc(this.account)}/available/${enc(name)}`;
    const again = h("button", { type: "button", class: "make-available" }, "Make available again");
    again.addEventListener("click", () => attempt(`${name} available again`, async () => { await api("POST", path, {}); await this.show(); }));
    return again;
  }

  // every state the partner keeps for the account, one row each, as the route lists them
  table() {
    if (!this.listed) return "";
    const rows = this.listed.map((entry) => h("tr.file-state", { dataset: { kind: entry.kind, name: entry.name, state: entry.state, path: entry.path } },
      h("td", {}, entry.kind), h("td", {}, entry.name), h("td", {}, h(`span.state.state-${entry.state}`, {}, badgeText(entry))),
      h("td", {}, entry.since), h("td", {}, entry.path), h("td.detail", {}, detailText(entry.details))));
    const empty = rows.length ? "" : h("tr", {}, h("td", { colspan: 6 }, "none yet"));
    return [h("h2", {}, "States ", h("span.title", {}, "kept by the partner for this account")),
      h("table.file-states", { id: "file-states" }, h("tr", {}, ["Kind", "Name", "State", "Since", "File", "Details"].map((title) => h("th", {}, title))), rows, empty)];
  }

  async folder(path) {
    const listing = await api("GET", `${this.path()}?folder=${enc(path)}`);
    return h("ul.tree", { dataset: { folder: path } }, listing.entries.map((entry) => this.entry(path, entry)));
  }

  entry(folder, entry) {
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.type === "folder") {
      const details = h("details.folder", { dataset: { path } }, h("summary", {}, `${entry.name}/`));
      details.addEventListener("toggle", async () => {
        if (details.open && !details.dataset.loaded) {
          details.dataset.loaded = "true";
          details.append(await this.folder(path));
        }
      }, { once: false });
      return h("li", {}, details);
    }
    const remove = this.desk ? "" : h("button.danger", { type: "button", "aria-label": `delete ${path}` }, "Delete");
    if (remove) {
      remove.addEventListener("click", async () => {
        await attempt(`${path} removed`, async () => { await api("DELETE", this.path(path)); await this.show(); });
      });
    }
    return h("li.file", { dataset: { path } }, h("span.name", {}, entry.name), h("span.size", {}, size(entry.size)),
      h("span.time", {}, entry.modified), h("a", { href: this.path(path), download: entry.name }, "Download"), remove,
      this.state(path));
  }

  async loadStates() {
    this.states = new Map();
    this.listed = null;
    if (this.desk) return;
    try {
      const answer = await api("GET", `/v1/partners/${enc(this.partner)}/accounts/${enc(this.account)}/file-states`);
      this.listed = answer.states;
      for (const entry of answer.states) this.states.set(entry.path, entry);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error; // a partner without file states
    }
  }

  async show() {
    await this.loadStates();
    this.root.replaceChildren(await this.folder(""));
    this.statesRoot.replaceChildren(...[this.table()].flat());
    this.root.dataset.account = `${this.partner}/${this.account}`;
  }
}

export async function render(content) {
  const all = await partners();
  const choice = h("select", { id: "account-choice", name: "account" }, all.flatMap((partner) => [
    ...partner.accounts.map((account) => h("option", { value: `${partner.name}/${account.username}` }, `${partner.name} · ${account.username}`)),
    h("option", { value: `${partner.name}/${DESK}` }, `${partner.name} · the partner's desk`)]));
  const treeRoot = h("div.files", { id: "tree" });
  const statesRoot = h("div", { id: "states" });
  const target = h("input", { id: "drop-path", name: "path", placeholder: "folder/NAME (e.g. IN/DMFA.123456.20261121.xml)" });
  const file = h("input", { id: "drop-file", type: "file" });
  const drop = h("form.drop", { id: "drop" }, h("label", {}, "Drop as the partner at ", target), file, h("button", { type: "submit" }, "Drop"));
  let tree = null;
  const chosen = async () => {
    const [partner, account] = choice.value.split("/");
    tree = new Tree(partner, account, treeRoot, statesRoot);
    drop.hidden = tree.desk;
    await tree.show();
  };
  choice.addEventListener("change", chosen);
  drop.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const picked = file.files[0];
    const path = target.value.trim() || (picked ? picked.name : "");
    if (!picked) return;
    await attempt(`${path} dropped`, async () => { await upload(tree.path(path), picked); await tree.show(); });
  });
  content.append(h("div.controls", {}, h("label", {}, "Account ", choice)), drop, treeRoot, statesRoot);
  await chosen();
}
