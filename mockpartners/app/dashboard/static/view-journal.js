// Journal, live: the newest events, then every new one as the server sends it (server-sent events);
// filtered by partner, account, kind and path; a session's events grouped; errors highlighted; pause/resume.
import { api, eventRow, follow, h, partners, query } from "./common.js";

const BACKLOG = 200;

class LiveJournal {
  constructor(list, counter) {
    this.list = list;
    this.counter = counter;
    this.groups = new Map();
    this.paused = false;
    this.held = [];
    this.source = null;
    this.newest = 0;
  }

  add(event) {
    if (event.id <= this.newest) return; // already shown (a stream that reconnected)
    this.newest = event.id;
    if (this.paused) {
      this.held.push(event);
      this.counter.textContent = `${this.held.length} new while paused`;
      return;
    }
    this.show(event);
  }

  show(event) {
    if (!event.session) {
      this.list.prepend(eventRow(event));
      return;
    }
    let group = this.groups.get(event.session);
    if (!group) {
      group = h("details.session", { open: true, dataset: { session: event.session } },
        h("summary", {}, `session ${event.session} · ${[event.partner, event.protocol, event.account, event.client].filter(Boolean).join(" · ")}`),
        h("div.events"));
      this.groups.set(event.session, group);
      this.list.prepend(group);
    }
    group.querySelector(".events").append(eventRow(event));
    if (event.account && !group.dataset.account) group.dataset.account = event.account;
    if (event.outcome !== "ok") group.classList.add("has-error");
  }

  resume() {
    this.paused = false;
    const held = this.held;
    this.held = [];
    this.counter.textContent = "";
    held.forEach((event) => this.show(event));
  }

  async start(filters) {
    if (this.source) this.source.close();
    this.list.replaceChildren();
    this.groups.clear();
    this.newest = 0;
    this.held = [];
    const page = await api("GET", `/v1/journal${query({ ...filters, limit: BACKLOG })}`);
    page.events.forEach((event) => this.add(event));
    this.source = follow(filters, page.last_id, (event) => this.add(event));
    this.source.addEventListener("open", () => { this.list.dataset.live = "true"; });
  }
}

export async function render(content) {
  const names = (await partners()).map((partner) => partner.name);
  const fields = {
    partner: h("select", { name: "partner" }, h("option", { value: "" }, "every partner"), names.map((name) => h("option", { value: name }, name))),
    account: h("input", { name: "account", placeholder: "account" }),
    kind: h("input", { name: "kind", placeholder: "kind (fs.*, session.connect)" }),
    path: h("input", { name: "path", placeholder: "path (exact: IN/NAME.xml)" }),
  };
  const list = h("div.journal", { id: "journal" });
  const counter = h("span.held");
  const journal = new LiveJournal(list, counter);
  const filters = () => Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.value.trim()]));
  const pause = h("button", { type: "button", id: "pause" }, "Pause");
  pause.addEventListener("click", () => {
    if (journal.paused) { journal.resume(); pause.textContent = "Pause"; } else { journal.paused = true; pause.textContent = "Resume"; }
  });
  const form = h("form.filters", { id: "journal-filters" }, Object.values(fields), h("button", { type: "submit" }, "Filter"), pause, counter);
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    await journal.start(filters());
  });
  content.append(form, list);
  await journal.start(filters());
}
