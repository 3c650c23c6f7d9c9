// Mail: the suite's outbox (every partner that sends mail), each message readable with its attachments.
import { api, enc, h, table } from "./common.js";

async function show(reader, id) {
  const mail = await api("GET", `/v1/mail/${enc(id)}?reader=dashboard`);
  reader.replaceChildren(
    h("h2", {}, mail.subject || "(no subject)"),
    table(["Header", "Value"], mail.headers.map(([name, value]) => h("tr", {}, h("td", {}, name), h("td", {}, value))), "headers"),
    h("pre.body", { id: "mail-text" }, mail.text || ""),
    h("h3", {}, "Attachments"),
    mail.attachments.length ? h("ul.attachments", {}, mail.attachments.map((attachment, index) =>
      h("li", {}, h("a", { href: `/v1/mail/${enc(id)}/attachments/${index}`, download: attachment.filename || `attachment-${index}` },
        attachment.filename || `attachment ${index}`), ` (${attachment.content_type}, ${attachment.size} bytes)`))) : h("p", {}, "none"),
    h("p", {}, h("a", { href: `/v1/mail/${enc(id)}.eml?reader=dashboard`, download: `${id}.eml` }, "Download the message (.eml)")));
  reader.dataset.mail = id;
}

export async function render(content) {
  const { mails } = await api("GET", "/v1/mail");
  const reader = h("article.mail", { id: "mail-reader" });
  const rows = mails.slice().reverse().map((mail) => {
    const open = h("a", { href: `#${mail.id}` }, mail.subject || "(no subject)");
    open.addEventListener("click", (clicked) => { clicked.preventDefault(); show(reader, mail.id); });
    return h("tr", { dataset: { mail: mail.id } }, h("td", {}, mail.date), h("td", {}, mail.partner || ""),
      h("td", {}, mail.from), h("td", {}, [].concat(mail.to || mail.recipients || []).join(", ")), h("td", {}, open), h("td", {}, `${mail.size}`));
  });
  content.append(mails.length ? table(["Date", "Partner", "From", "To", "Subject", "Bytes"], rows, "mails")
    : h("p", {}, "The outbox is empty: no partner sent mail yet."), reader);
}
