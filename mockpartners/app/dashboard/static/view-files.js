// Files: each account's tree as the partner sees it; download, drop a file as the partner, delete.
import { api, attempt, enc, filesPath, h, partners, upload } from "./common.js";

function size(bytes) {
  return bytes === null ? "" : bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

class Tree {
  constructor(partner, account, root) {
    this.partner = partner;
    this.account = account;
    this.root = root;
  }

  async folder(path) {
    const listing = await api("GET", `${filesPath(this.partner, this.account)}?folder=${enc(path)}`);
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
    const remove = h("button.danger", { type: "button", "aria-label": `delete ${path}` }, "Delete");
    remove.addEventListener("click", async () => {
      if (await attempt(`${path} removed`, () => api("DELETE", filesPath(this.partner, this.account, path))) !== undefined) {
        await this.show();
      }
    });
    return h("li.file", { dataset: { path } }, h("span.name", {}, entry.name), h("span.size", {}, size(entry.size)),
      h("span.time", {}, entry.modified), h("a", { href: filesPath(this.partner, this.account, path), download: entry.name }, "Download"), remove);
  }

  async show() {
    this.root.replaceChildren(await this.folder(""));
    this.root.dataset.account = `${this.partner}/${this.account}`;
  }
}

export async function render(content) {
  const all = await partners();
  const choice = h("select", { id: "account-choice", name: "account" }, all.flatMap((partner) =>
    partner.accounts.map((account) => h("option", { value: `${partner.name}/${account.username}` }, `${partner.name} · ${account.username}`))));
  const treeRoot = h("div.files", { id: "tree" });
  const target = h("input", { id: "drop-path", name: "path", placeholder: "folder/NAME (e.g. IN/DMFA.123456.20261121.xml)" });
  const file = h("input", { id: "drop-file", type: "file" });
  const drop = h("form.drop", { id: "drop" }, h("label", {}, "Drop as the partner at ", target), file, h("button", { type: "submit" }, "Drop"));
  let tree = null;
  const chosen = async () => {
    const [partner, account] = choice.value.split("/");
    tree = new Tree(partner, account, treeRoot);
    await tree.show();
  };
  choice.addEventListener("change", chosen);
  drop.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const picked = file.files[0];
    const path = target.value.trim() || (picked ? picked.name : "");
    if (!picked) return;
    if (await attempt(`${path} dropped`, () => upload(filesPath(tree.partner, tree.account, path), picked)) !== undefined) await tree.show();
  });
  content.append(h("div.controls", {}, h("label", {}, "Account ", choice)), drop, treeRoot);
  await chosen();
}
