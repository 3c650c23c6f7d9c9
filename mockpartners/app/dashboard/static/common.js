// What every view shares: the admin API (same origin, JSON bodies), safe element building, copy buttons.
// The dashboard holds no logic: every read and action below is a route of the admin API (openapi.json).

export class ApiError extends Error {}

export async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  return answer(await fetch(path, options));
}

export async function upload(path, file) {
  return answer(await fetch(path, { method: "PUT", credentials: "same-origin", body: file }));
}

async function answer(response) {
  const type = response.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    throw new ApiError(data && data.error ? data.error : `HTTP ${response.status}`);
  }
  return data;
}

// h("tag.class", {attribute: value, onclick: fn}, child, ...): text children are text nodes, never HTML
export function h(spec, attributes = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const element = document.createElement(tag);
  if (classes.length) element.className = classes.join(" ");
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function status(text, isError = false) {
  const line = document.getElementById("status");
  line.textContent = text;
  line.classList.toggle("error", isError);
}

// run an action, showing its error (the API's own message) in the status line
export async function attempt(what, action) {
  try {
    const result = await action();
    status(what);
    return result;
  } catch (error) {
    status(`${error.message}`, true);
    return undefined;
  }
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h("textarea", { readonly: true }, text);
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

export function copyable(text, label = "Copy") {
  const button = h("button.copy", { type: "button", title: "Copy to the clipboard" }, label);
  button.addEventListener("click", async () => {
    try {
      await copyText(text);
      button.textContent = "Copied";
    } catch (error) {
      button.textContent = "Select and copy";
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return h("div.copyable", {}, h("pre", {}, text), button);
}

export function table(headings, rows, className = "") {
  return h(`table${className ? "." + className : ""}`, {},
    h("thead", {}, h("tr", {}, headings.map((heading) => h("th", {}, heading)))),
    h("tbody", {}, rows));
}

export function query(values) {
  const given = Object.entries(values).filter(([, value]) => value !== "" && value !== undefined && value !== null);
  return given.length ? "?" + new URLSearchParams(given).toString() : "";
}

export function enc(part) {
  return encodeURIComponent(part);
}

export function filesPath(partner, account, path = "") {
  const base = `/v1/partners/${enc(partner)}/accounts/${enc(account)}/files`;
  return path ? `${base}/${path.split("/").map(enc).join("/")}` : base;
}

export async function partners() {
  return (await api("GET", "/v1/partners")).partners;
}

export function eventText(event) {
  const detail = Object.entries(event.detail || {})
    .map(([key, value]) => `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`).join(" ");
  return detail;
}

// one journal event as a row: errors (any outcome but ok) highlighted
export function eventRow(event) {
  const failed = event.outcome !== "ok";
  return h(`div.event${failed ? ".error" : ""}`, { dataset: { id: event.id, kind: event.kind, outcome: event.outcome, path: event.path || "" } },
    h("span.time", {}, event.time.replace("T", " ").replace(/\+00:00$/, "")),
    h("span.kind", {}, event.kind),
    h("span.who", {}, [event.partner, event.account, event.client].filter(Boolean).join(" ")),
    h("span.path", {}, event.path || ""),
    h("span.outcome", {}, event.outcome),
    h("span.detail", {}, eventText(event)));
}

// a live journal stream (server-sent events) from the cursor on, with the filters given
export function follow(filters, after, onEvent) {
  const source = new EventSource(`/v1/journal/stream${query({ ...filters, after })}`);
  source.addEventListener("journal", (message) => onEvent(JSON.parse(message.data)));
  return source;
}
