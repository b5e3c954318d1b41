// What each factory delivered to the cloud: one row a factory, linking to its page.
"use strict";

(() => {
  const { api, el, fill, fmt } = KS;
  const { start, enc } = CLOUD;

  start(async () => {
    const rows = await api("/api/v1/catalog/factories");
    fill(document.querySelector("#factories tbody"), rows.length
      ? rows.map((f) => el("tr", { dataset: { factory: f.factory_id } },
        el("td", {}, el("a", { href: `/catalog/factories/${enc(f.factory_id)}` }, f.factory_name || f.factory_id)),
        el("td", { class: "n" }, fmt.num(f.episodes)),
        el("td", { class: "n" }, fmt.bytes(f.bytes)),
        el("td", {}, fmt.time(f.last_approved_at)),
        el("td", {}, fmt.time(f.last_synced_at))))
      : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "Nothing received yet.")));
  });
})();
