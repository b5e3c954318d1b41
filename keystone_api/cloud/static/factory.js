// One factory's deliveries: totals, the last 24 hours, the approval-to-arrival lag, per day,
// per scene and robot type.
"use strict";

(() => {
  const { api, el, fill, fmt } = KS;
  const { start, enc } = CLOUD;
  const factoryId = decodeURIComponent(location.pathname.split("/").pop());

  function card(key, label, value, detail, title) {
    return el("div", { class: "card", dataset: { kpi: key }, title },
      el("div", { class: "k" }, label), el("div", { class: "v" }, value), el("div", { class: "d muted" }, detail || ""));
  }

  function ago(iso) {
    return iso ? `${fmt.seconds((Date.now() - new Date(iso).getTime()) / 1000)} ago` : "";
  }

  start(async () => {
    const f = await api(`/api/v1/catalog/factories/${enc(factoryId)}`);
    const lag = f.lag;
    document.title = `Keystone cloud · ${f.factory_name || f.factory_id}`;
    fill("factory-name", f.factory_name || f.factory_id, " ", el("span", { class: "muted" }, f.factory_id));
    const lagTitle = `Approval at the edge to arrival in the cloud, over the latest ${lag.sample} arrivals`;
    fill("kpis",
      card("episodes", "Episodes received", fmt.num(f.episodes)),
      card("bytes", "Bytes received", fmt.bytes(f.bytes)),
      card("last_24h", "Last 24 hours", fmt.num(f.last_24h.episodes), fmt.bytes(f.last_24h.bytes)),
      card("last_sync", "Last sync", fmt.time(f.last_synced_at), ago(f.last_synced_at)),
      card("lag_median", "Lag (median)", fmt.seconds(lag.median_s), `p95 ${fmt.seconds(lag.p95_s)}`, lagTitle),
      card("lag_max", "Lag (max)", fmt.seconds(lag.max_s), `over ${fmt.num(lag.sample)}`, lagTitle),
      card("last_approved", "Last approved", fmt.time(f.last_approved_at)));
    fill(document.querySelector("#days tbody"), f.days.map((d) => el("tr", {},
      el("td", {}, d.day), el("td", { class: "n" }, fmt.num(d.episodes)), el("td", { class: "n" }, fmt.bytes(d.bytes)))));
    fill(document.querySelector("#breakdown tbody"),
      f.scenes.map((s) => el("tr", {}, el("td", {}, "Scene"), el("td", {}, s.name || "—"), el("td", { class: "n" }, fmt.num(s.episodes)))),
      f.robot_types.map((s) => el("tr", {}, el("td", {}, "Robot type"), el("td", {}, s.name || "—"), el("td", { class: "n" }, fmt.num(s.episodes)))));
    document.getElementById("browse").href = `/catalog?factory_id=${enc(f.factory_id)}`;
  });
})();
