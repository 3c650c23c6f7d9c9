// Contract: the report per partner and rule (pass, fail, not exercised, advice), with the events that broke it.
import { api, eventRow, h } from "./common.js";

function evidence(events) {
  return events.length ? h("details.evidence", {}, h("summary", {}, `${events.length} event(s)`),
    events.map(eventRow)) : "";
}

export async function render(content) {
  const report = await api("GET", "/v1/report");
  const counts = Object.entries(report.counts).map(([name, count]) => `${count} ${name}`).join(", ");
  content.append(h(`p.verdict.${report.passed ? "pass" : "fail"}`, { id: "verdict" }, `${report.passed ? "Contract kept" : "Contract broken"}: ${counts}`));
  const byPartner = new Map();
  for (const result of report.results) {
    if (!byPartner.has(result.partner)) byPartner.set(result.partner, []);
    byPartner.get(result.partner).push(result);
  }
  for (const [partner, results] of byPartner) {
    content.append(h("section.partner", { dataset: { partner } }, h("h2", {}, partner),
      results.map((result) => h(`div.rule.${result.status}`, { dataset: { rule: result.rule, status: result.status } },
        h("span.status", {}, result.status), h("strong", {}, result.rule), " ", result.description,
        result.reference ? h("div.reference", {}, result.reference) : "",
        result.status === "fail" || result.status === "advice" ? h("div.summary", {}, result.summary) : "",
        evidence(result.evidence)))));
  }
  if (report.partner_errors.length) {
    content.append(h("section.partner-errors", {}, h("h2", {}, "The partner itself failed"), evidence(report.partner_errors)));
  }
}
