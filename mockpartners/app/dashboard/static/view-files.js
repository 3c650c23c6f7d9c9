// Files: each account's tree as the partner sees it, with file states where the partner has them (the XFB
// gateway's B, T, E); download, drop a file as the partner, delete; and the partner's own desk, read-only.
import { ApiError, api, attempt, enc, filesPath, h, partners, upload } from "./common.js";

const DESK = ":desk";

function size(bytes) {
  return bytes === null ? "" : bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

class Tree {
  constructor(partner, account, root) {
    this.partner = partner;
    this.account = account;
    this.root = root;
    this.desk = account === DESK;
    this.states = null;
  }

  path(path = "") {
    if (!this.desk) return filesPath(this.partner, this.account, path);
    const base = `/v1/partners/${enc(this.partner)}/desk`;
    return path ? `${base}/${path.split("/").map(enc).join("/")}` : base;
  }

  state(folder, name) {
    if (!this.states || folder !== this.states.folder || !this.states.files[name]) return "";
    const entry = this.states.files[name];
    const badge = h(`span.state.state-${entry.state}`, { dataset: { state: entry.state } }, `state ${entry.state} (local_ident ${entry.local_ident})`);
    if (entry.state !== "E") return badge;
    // the XFB gateway's S.A.U.: "remise à disposition", the file back in state B
    const path = `/v1/partners/${enc(this.partner)}/accounts/${enc(this.account)}/available/${enc(name)}`;
    const again = h("button", { type: "button", class: "make-available" }, "Make available again");
    again.addEventListener("click", () => attempt(`${name} available again`, async () => { await api("POST", path, {}); await this.show(); }));
    return [badge, again];
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
      this.state(folder, entry.name));
  }

  async loadStates() {
    if (this.desk) return;
    try {
      this.states = await api("GET", `/v1/partners/${enc(this.partner)}/accounts/${enc(this.account)}/file-states`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.states = null; // a partner without file states
    }
  }

  async show() {
    await this.loadStates();
    this.root.replaceChildren(await this.folder(""));
    this.root.dataset.account = `${this.partner}/${this.account}`;
  }
}

export async function render(content) {
  const all = await partners();
  const choice = h("select", { id: "account-choice", name: "account" }, all.flatMap((partner) => [
    ...partner.accounts.map((account) => h("option", { value: `${partner.name}/${account.username}` }, `${partner.name} · ${account.username}`)),
    h("option", { value: `${partner.name}/${DESK}` }, `${partner.name} · the partner's desk`)]));
  const treeRoot = h("div.files", { id: "tree" });
  const target = h("input", { id: "drop-path", name: "path", placeholder: "folder/NAME (e.g. IN/DMFA.123456.20261121.xml)" });
  const file = h("input", { id: "drop-file", type: "file" });
  const drop = h("form.drop", { id: "drop" }, h("label", {}, "Drop as the partner at ", target), file, h("button", { type: "submit" }, "Drop"));
  let tree = null;
  const chosen = async () => {
    const [partner, account] = choice.value.split("/");
    tree = new Tree(partner, account, treeRoot);
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
  content.append(h("div.controls", {}, h("label", {}, "Account ", choice)), drop, treeRoot);
  await chosen();
}
