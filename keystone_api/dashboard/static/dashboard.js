// The operator's dashboard: a period's production, the live queues, orders and stations.
"use strict";

(() => {
  const { api, query, fill, el } = KS;
  const PERIODS = {
    "24h": { hours: 24, granularity: "hour", text: "last 24 h" },
    "7d": { hours: 24 * 7, granularity: "day", text: "last 7 days" },
    "30d": { hours: 24 * 30, granularity: "day", text: "last 30 days" },
    "90d": { hours: 24 * 90, granularity: "week", text: "last 90 days" },
  };
  const REFRESH_MS = 60000;
  let timer = null;

  function params() {
    const period = PERIODS[document.getElementById("period").value];
    const end = new Date();
    const start = new Date(end.getTime() - period.hours * 3600 * 1000);
    return {
      start: start.toISOString(), end: end.toISOString(),
      // Days and weeks start at the viewer's midnight.
      tz_offset_minutes: -end.getTimezoneOffset(),
      factory_id: document.getElementById("factory").value || undefined,
      granularity: period.granularity,
    };
  }

  function withoutGranularity(p) {
    const { granularity, ...rest } = p;
    return rest;
  }

  async function load() {
    const p = params();
    const base = withoutGranularity(p);
    const main = document.getElementById("main");
    main.setAttribute("aria-busy", "true");
    try {
      const [summary, trend, orders, stations, breakdown] = await Promise.all([
        api(`/api/v1/stats/summary${query(base)}`),
        api(`/api/v1/stats/trend${query(p)}`),
        api(`/api/v1/stats/orders${query({ factory_id: p.factory_id, limit: 12 })}`),
        api(`/api/v1/stats/workstations${query(base)}`),
        api(`/api/v1/stats/breakdown${query({ ...base, dimension: document.getElementById("dimension").value })}`),
      ]);
      const width = (id) => Math.max(320, document.getElementById(id).clientWidth);
      fill("kpis", Views.kpis(summary, undefined, PERIODS[document.getElementById("period").value].text));
      fill("live", Views.live(summary));
      fill("chart-episodes", Views.episodesChart(trend, { width: width("chart-episodes") }));
      fill("chart-rates", Views.ratesChart(trend, { width: width("chart-rates") }));
      const tasksTitle = document.getElementById("tasks-title");
      tasksTitle.textContent = `Tasks completed per ${trend.granularity}`;
      // Clock buckets, not the "Tasks / hour" card's last 60 minutes: say so.
      tasksTitle.title = `Tasks completed in each ${trend.granularity} of the viewer's clock (the latest still counting); `
        + "the Tasks / hour card counts the last 60 minutes.";
      fill("chart-tasks", Views.tasksChart(trend, { width: width("chart-tasks") }));
      fill("chart-orders", Views.ordersChart(orders, { width: width("chart-orders") }));
      fill("chart-stations", Views.stationsChart(stations, { width: width("chart-stations") }));
      fill("table-stations", Views.stationsTable(stations));
      fill("table-breakdown", Views.breakdownTable(breakdown));
      fill("updated", `Updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      if (e.status !== 401) fill("updated", el("span", { class: "error" }, `Could not load: ${e.message}`));
    } finally {
      main.setAttribute("aria-busy", "false");
    }
  }

  async function factories(me) {
    if (me.factory_id) return;  // bound to one factory: nothing to choose
    try {
      const page = await api("/api/v1/factories?limit=500");
      if (page.items.length < 2) return;
      fill("factory", el("option", { value: "" }, "All factories"),
        page.items.map((f) => el("option", { value: f.id }, f.name)));
      document.getElementById("factory-picker").hidden = false;
    } catch (e) { /* the picker is optional */ }
  }

  function csv(path, extra, filename) {
    return () => KS.download(`/api/v1/stats/${path}${query({ ...extra })}`, filename)
      .catch((e) => KS.toast(`Export failed: ${e.message}`, "bad"));
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const me = await KS.session();
    fill("user", KS.userBadge(me));
    await Promise.all([factories(me), Views.loadDefinitions()]);
    for (const id of ["period", "factory", "dimension"]) document.getElementById(id).addEventListener("change", load);
    document.getElementById("csv-trend").addEventListener("click", () =>
      csv("trend.csv", params(), "trend.csv")());
    document.getElementById("csv-stations").addEventListener("click", () =>
      csv("breakdown.csv", { ...withoutGranularity(params()), dimension: "workstation" }, "workstations.csv")());
    document.getElementById("csv-breakdown").addEventListener("click", () => {
      const dimension = document.getElementById("dimension").value;
      csv("breakdown.csv", { ...withoutGranularity(params()), dimension }, `breakdown-${dimension}.csv`)();
    });
    await load();
    timer = setInterval(load, REFRESH_MS);
  });
  window.addEventListener("beforeunload", () => clearInterval(timer));
})();
