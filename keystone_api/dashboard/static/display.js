// The factory-floor screen: today's production since local midnight, refreshed on its own.
// Opened as /dashboard/display[?refresh=SECONDS]#token=DISPLAY_TOKEN; read-only.
"use strict";

(() => {
  const { api, query, fill, el, fmt } = KS;
  const search = new URLSearchParams(location.search);
  const REFRESH_S = Math.max(5, Number(search.get("refresh")) || 30);
  const HEADLINE = ["episodes", "tasks_per_hour", "upload_success_rate", "qa_pass_rate", "auto_approval_rate", "sync_rate"];

  function today() {
    const now = new Date();
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    return {
      start: midnight.toISOString(), end: now.toISOString(),
      tz_offset_minutes: -now.getTimezoneOffset(),
    };
  }

  function station(s) {
    const rate = s.qa_pass_rate;
    const cls = rate === null ? "" : rate >= 0.9 ? "good" : rate >= 0.75 ? "fair" : "poor";
    return el("div", { class: `station ${cls}`, dataset: { station: s.workstation_id } },
      el("div", { class: "name" }, s.name),
      el("div", { class: "meta" }, `${s.collector_name || "nobody"} · ${s.robot_online ? "robot online" : "robot offline"}`),
      el("div", { title: Views.defined("qa_pass_rate", "today").title }, `${s.episodes} episodes · QA ${fmt.pct(rate, 0)}`));
  }

  async function refresh() {
    const period = today();
    try {
      const [summary, trend, orders, stations] = await Promise.all([
        api(`/api/v1/stats/summary${query(period)}`),
        api(`/api/v1/stats/trend${query({ ...period, granularity: "hour" })}`),
        api(`/api/v1/stats/orders${query({ status: "active", limit: 6 })}`),
        api(`/api/v1/stats/workstations${query(period)}`),
      ]);
      const width = (id) => Math.max(320, document.getElementById(id).clientWidth);
      fill("kpis", Views.kpis(summary, HEADLINE, "today"));
      fill("live", Views.live(summary));
      fill("chart-episodes", Views.episodesChart(trend, { height: 260, width: width("chart-episodes") }));
      fill("chart-orders", Views.ordersChart(orders, { width: width("chart-orders") }));
      fill("stations", stations.items.map(station));
      fill("updated", `Updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_S} s`);
      document.getElementById("main").setAttribute("aria-busy", "false");
    } catch (e) {
      // Keep the last good picture on screen; say what is wrong underneath.
      fill("updated", el("span", { class: "error" }, `Not updated: ${e.message}`));
    }
  }

  function tick() { fill("clock", new Date().toLocaleTimeString()); }

  function refuse(message) {
    fill("main", el("p", { class: "error", id: "refused" }, message));
  }

  // The screen runs only on a display token that the API accepts (checked once, here).
  async function start() {
    if (!KS.token()) {
      refuse("This screen needs a display token: /dashboard/display#token=...");
      return;
    }
    let me;
    try {
      me = await api("/api/v1/auth/me");
    } catch (e) {
      refuse(`The display token was refused (${e.message}).`);
      return;
    }
    if (me.kind !== "display") {
      refuse("Open this screen with a display token, not a personal one.");
      return;
    }
    tick();
    setInterval(tick, 1000);
    await Views.loadDefinitions();
    refresh();
    setInterval(refresh, REFRESH_S * 1000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
