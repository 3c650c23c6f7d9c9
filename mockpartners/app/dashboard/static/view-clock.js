// Clock: the virtual time, freeze, advance, unfreeze, reset; and what each change set off (retention,
// answers due), live from the journal.
import { api, attempt, eventRow, follow, h, table } from "./common.js";

async function showPlanned(holder) {
  const { jobs } = await api("GET", "/v1/clock/jobs");
  holder.replaceChildren(jobs.length ? table(["Due", "Partner", "Job", "Every"], jobs.map((job) =>
    h("tr", { dataset: { partner: job.partner, job: job.name } }, h("td", {}, job.due), h("td", {}, job.partner),
      h("td", {}, job.name), h("td", {}, job.every || "once"))), "planned") : h("p", {}, "Nothing is waiting on the clock."));
}

export async function render(content, shell) {
  const now = h("p.now", { id: "clock-now" });
  const mode = h("p.mode", { id: "clock-mode" });
  document.addEventListener("clock", (changed) => {
    now.textContent = changed.detail.now.toISOString().replace(/\.\d+Z$/, "Z");
    mode.textContent = changed.detail.state.frozen ? "Frozen: time stands still until you advance or unfreeze it."
      : changed.detail.state.shifted ? "Virtual: shifted from the wall clock, and flowing." : "The wall clock.";
  });
  const by = h("input", { name: "by", id: "advance-by", placeholder: "61d, 15m, 2 months", value: "1d" });
  const at = h("input", { name: "at", id: "freeze-at", placeholder: "2030-01-31T09:00:00Z (empty: now)" });
  const followed = h("div.journal", { id: "clock-events" });
  const planned = h("div", { id: "planned" });
  const act = (label, path, body) => async () => {
    await attempt(label, async () => {
      await api("POST", path, body());
      await Promise.all([shell.refreshClock(), showPlanned(planned)]);
    });
  };
  const button = (label, id, action) => h("button", { type: "button", id, onclick: action }, label);
  content.append(now, mode,
    h("div.controls", {},
      h("label", {}, "Advance by ", by), button("Advance", "advance", act("advanced", "/v1/clock/advance", () => ({ by: by.value.trim() }))),
      h("label", {}, "Freeze at ", at), button("Freeze", "freeze", act("frozen", "/v1/clock/freeze", () => (at.value.trim() ? { at: at.value.trim() } : {}))),
      button("Unfreeze", "unfreeze", act("flowing again", "/v1/clock/unfreeze", () => ({}))),
      button("Back to the wall clock", "reset", act("reset", "/v1/clock/reset", () => ({})))),
    h("h2", {}, "Waiting on the clock"),
    h("p", {}, "What advancing the clock would set off, soonest first."),
    planned,
    h("h2", {}, "What happened since this page opened"),
    h("p", {}, "Retention removing files, answers coming due, every partner-side action, as it happens."),
    followed);
  const last = (await api("GET", "/v1/journal?limit=0")).last_id;
  follow({ kind: "partner.*" }, last, (event) => {
    followed.prepend(eventRow(event));
  });
  await Promise.all([shell.refreshClock(), showPlanned(planned)]);
}
