// The shell's script: the banner of scenarios switched on and the clock badge on every page, then the view.
import { api, follow, h, partners, status } from "./common.js";

async function refreshBanner() {
  const banner = document.getElementById("banner");
  const found = [];
  for (const partner of await partners()) {
    const { scenarios } = await api("GET", `/v1/partners/${encodeURIComponent(partner.name)}/scenarios`);
    for (const scenario of scenarios) {
      if (scenario.active && !scenario.by_profile) found.push(`${partner.name}/${scenario.name}`);
    }
  }
  banner.replaceChildren(found.length ? h("span", {}, "Scenarios on: ", found.map((name, index) =>
    [index ? ", " : "", h("a.scenario-on", { href: "/dashboard/scenarios" }, name)])) : "");
  banner.hidden = found.length === 0;
  banner.dataset.scenarios = found.join(" ");
}

let clockState = null;
let clockFetched = 0;

export async function refreshClock() {
  clockState = await api("GET", "/v1/clock");
  clockFetched = Date.now();
  showClock();
}

function virtualNow() {
  const base = new Date(clockState.now).getTime();
  return new Date(clockState.frozen ? base : base + (Date.now() - clockFetched));
}

function showClock() {
  if (!clockState) return;
  const badge = document.getElementById("clock-badge");
  const text = virtualNow().toISOString().replace(/\.\d+Z$/, "Z");
  badge.textContent = `${clockState.frozen ? "frozen " : clockState.shifted ? "virtual " : ""}${text}`;
  badge.classList.toggle("frozen", clockState.frozen);
  badge.classList.toggle("shifted", clockState.shifted);
  document.dispatchEvent(new CustomEvent("clock", { detail: { state: clockState, now: virtualNow() } }));
}

export const shell = { refreshBanner, refreshClock };

async function main() {
  const view = document.getElementById("view").dataset.view;
  const content = document.getElementById("content");
  try {
    await Promise.all([refreshBanner(), refreshClock()]);
    setInterval(showClock, 1000);
    const last = (await api("GET", "/v1/journal?limit=0")).last_id;
    follow({ kind: "scenario.on,scenario.off,partner.reset" }, last, () => refreshBanner());
    const module = await import(`./view-${view}.js`);
    await module.render(content, shell);
    status("");
    document.getElementById("view").dataset.ready = "true";
  } catch (error) {
    status(error.message, true);
  }
}

main();
