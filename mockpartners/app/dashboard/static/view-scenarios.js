// Scenarios: every named scenario of each partner, what it reproduces, its parameters and an on/off switch.
import { api, attempt, enc, h, partners } from "./common.js";

function typed(text, defaultValue) {
  if (typeof defaultValue === "number" && text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  if (typeof defaultValue === "boolean") return text.trim() === "true";
  return text;
}

function card(partner, scenario, shell) {
  const path = `/v1/partners/${enc(partner)}/scenarios/${enc(scenario.name)}`;
  const values = { ...scenario.defaults, ...scenario.parameters };
  const inputs = Object.entries(values).map(([name, value]) =>
    h("label.parameter", {}, name, h("input", { name, value: String(value), dataset: { parameter: name } })));
  const toggle = h("input", { type: "checkbox", role: "switch", class: "switch", checked: scenario.active,
    "aria-label": `${partner}/${scenario.name}`, dataset: { partner, scenario: scenario.name } });
  const element = h(`article.scenario${scenario.active ? ".on" : ""}`, { dataset: { partner, scenario: scenario.name } },
    h("header", {}, h("label", {}, toggle, h("strong", {}, scenario.name)),
      scenario.by_profile ? h("span.tag", {}, "the profile's default") : ""),
    h("p", {}, scenario.description),
    h("p.expect", {}, "What the client sees: ", scenario.expect),
    inputs.length ? h("div.parameters", {}, inputs) : "");
  toggle.addEventListener("change", async () => {
    const parameters = {};
    for (const input of element.querySelectorAll("input[data-parameter]")) {
      parameters[input.dataset.parameter] = typed(input.value, scenario.defaults[input.dataset.parameter]);
    }
    const done = await attempt(`${partner}/${scenario.name} ${toggle.checked ? "on" : "off"}`, () =>
      toggle.checked ? api("PUT", path, { parameters }) : api("DELETE", path));
    if (done === undefined) toggle.checked = !toggle.checked;
    element.classList.toggle("on", toggle.checked);
    await shell.refreshBanner();
  });
  return element;
}

export async function render(content, shell) {
  for (const partner of await partners()) {
    const { scenarios } = await api("GET", `/v1/partners/${enc(partner.name)}/scenarios`);
    content.append(h("section.partner", { dataset: { partner: partner.name } },
      h("h2", {}, partner.name, h("span.title", {}, ` ${partner.title}`)),
      h("div.scenarios", {}, scenarios.map((scenario) => card(partner.name, scenario, shell)))));
  }
}
