// The dashboard's building blocks from the statistics API's answers, shared by the
// operator dashboard and the floor display.
"use strict";

const Views = (() => {
  const { el, fmt } = KS;
  const STATUS_KEYS = ["auto_approved", "inspector_approved", "needs_inspection", "rejected", "pending_qa"];
  const RATE_KEYS = ["qa_pass_rate", "auto_approval_rate", "upload_success_rate", "sync_rate"];

  // The rates' definitions (GET /api/v1/stats/definitions, keystone_api/stats/rates.py),
  // by name: each rate on a page shows its definition as a tooltip and its window as a
  // caption, so a figure never stands without saying what it counts.
  let DEFS = {};
  async function loadDefinitions() {
    try {
      const body = await KS.api("/api/v1/stats/definitions");
      DEFS = Object.fromEntries(body.items.map((d) => [d.name, d]));
    } catch (e) { /* figures still show, without their captions */ }
    return DEFS;
  }
  const WINDOWS = { last_60_min: () => "last 60 min", all_time: () => "all time" };
  // periodText: how this page names its period ("last 24 h", "today").
  function defined(key, periodText) {
    const d = DEFS[key];
    if (!d) return {};
    return {
      label: d.label, title: `${d.label}: ${d.definition}`,
      caption: (WINDOWS[d.window] || (() => periodText))(),
    };
  }

  function card(key, label, value, opts = {}) {
    const change = opts.change !== undefined ? fmt.change(opts.change, opts.rate) : null;
    const def = opts.rate || key === "tasks_per_hour" ? defined(key, opts.period) : {};
    return el("div", { class: `card${opts.alert ? " alert" : ""}`, dataset: { kpi: key }, title: def.title },
      el("div", { class: "k" }, def.label || label),
      el("div", { class: "v" }, value),
      change ? el("div", { class: `d ${change.cls}`, title: "against the previous period" }, change.text) : null,
      opts.note ? el("div", { class: "d muted" }, opts.note) : null,
      def.caption ? el("div", { class: "d def", dataset: { window: DEFS[key].window } }, def.caption) : null);
  }

  // keys: the cards to show (the floor display shows fewer); all when omitted. period: how
  // the page names its period, for the rates' captions.
  function kpis(summary, keys, period) {
    const c = summary.current, d = summary.change, l = summary.live;
    const r = (change, more = {}) => ({ change, rate: true, period, ...more });
    const cards = [
      card("episodes", "Episodes", fmt.num(c.episodes), { change: d.episodes }),
      card("hours", "Hours recorded", fmt.num(c.hours_recorded, 1), { change: d.hours_recorded }),
      card("bytes", "Data recorded", fmt.bytes(c.bytes), { change: d.bytes }),
      // A pace, not a period's figure: the last 60 minutes on every page (no change arrow).
      card("tasks_per_hour", "Tasks / hour", fmt.num(l.tasks_per_hour), { period }),
      card("upload_success_rate", "Upload success", fmt.pct(c.upload_success_rate),
        r(d.upload_success_rate, { note: `${c.tasks_failed} failed` })),
      card("qa_pass_rate", "QA pass rate", fmt.pct(c.qa_pass_rate),
        r(d.qa_pass_rate, { alert: c.qa_pass_rate !== null && c.qa_pass_rate < 0.9 })),
      card("auto_approval_rate", "Auto-approval rate", fmt.pct(c.auto_approval_rate), r(d.auto_approval_rate)),
      card("sync_rate", "Synced to cloud", fmt.pct(c.sync_rate), r(d.sync_rate)),
    ];
    return keys ? cards.filter((node) => keys.includes(node.dataset.kpi)) : cards;
  }

  // The specification's alert thresholds colour the live cards.
  function live(summary) {
    const l = summary.live, c = summary.current;
    const robots = el("div", { class: "card", dataset: { kpi: "robots_online" } },
      el("div", { class: "k" }, "Robots online"),
      Charts.gauge("robots-online", l.robots_online, l.robots_total, "robots online"),
      el("div", { class: "d muted" }, `${l.robots_available} available`));
    return [
      card("inspection_queue", "Inspection queue", fmt.num(l.inspection_queue_depth),
        { note: l.oldest_inspection_wait_s ? `oldest ${fmt.seconds(l.oldest_inspection_wait_s)}` : "empty" }),
      card("sync_queue", "Sync queue", fmt.num(l.sync_queue_depth),
        { alert: l.sync_queue_depth > 100 || l.sync_failed > 0,
          note: `${l.sync_failed} failed, need a person · ${l.sync_waiting} waiting` }),
      card("sync_latency", "Sync latency", fmt.seconds(c.sync_latency_avg_s),
        { note: `p95 ${fmt.seconds(c.sync_latency_p95_s)}` }),
      card("upload_queue", "Upload queue", fmt.num(l.upload_queue_depth), { alert: l.upload_queue_depth > 5 }),
      robots,
    ];
  }

  const labels = (trend) => trend.items.map((i) => i.label);
  const shortLabels = (trend) => trend.items.map((i) => (trend.granularity === "hour" ? i.label.slice(11) : i.label.slice(5)));

  function episodesChart(trend, opts = {}) {
    const series = STATUS_KEYS.map((key) => ({ key, values: trend.items.map((i) => i[key]) }));
    return [Charts.bars("episodes", labels(trend), series, { shortLabels: shortLabels(trend), ...opts }),
      Charts.legend(STATUS_KEYS)];
  }

  function ratesChart(trend, opts = {}) {
    const series = RATE_KEYS.map((key) => ({ key, values: trend.items.map((i) => i[key]) }));
    const titles = Object.fromEntries(RATE_KEYS.map((key) => [key, defined(key, `each ${trend.granularity}`).title]));
    return [Charts.lines("rates", labels(trend), series, { shortLabels: shortLabels(trend), ...opts }),
      Charts.legend(RATE_KEYS, titles),
      el("p", { class: "muted def" }, `Each point: the rate of that ${trend.granularity}'s episodes and tasks (hover a name for its definition).`)];
  }

  function tasksChart(trend, opts = {}) {
    const series = [{ key: "tasks", values: trend.items.map((i) => i.tasks_completed) }];
    return Charts.bars("tasks", labels(trend), series, { shortLabels: shortLabels(trend), ...opts });
  }

  function ordersChart(orders, opts = {}) {
    if (!orders.items.length) return el("p", { class: "muted" }, "No orders.");
    const rows = orders.items.map((o) => ({
      label: `${o.name || fmt.short(o.order_id)} (${o.status})`,
      target: o.target_episodes,
      parts: {
        auto_approved: o.approved, needs_inspection: o.needs_inspection,
        pending_qa: o.pending_qa, rejected: o.rejected,
      },
      note: `${o.approved}/${o.target_episodes}`,
      title: defined("percent_complete").title ? `${fmt.num(o.percent_complete, 1)} % · ${defined("percent_complete").title}` : null,
    }));
    return [Charts.progress("orders", rows, opts),
      Charts.legend(["auto_approved", "needs_inspection", "pending_qa", "rejected"])];
  }

  function stationsChart(stations, opts = {}) {
    if (!stations.items.length) return el("p", { class: "muted" }, "No workstations.");
    const rows = stations.items.map((s) => ({
      label: s.name, target: s.episodes,
      parts: {
        auto_approved: s.auto_approved, inspector_approved: s.inspector_approved,
        needs_inspection: s.needs_inspection, rejected: s.rejected, pending_qa: s.pending_qa,
      },
      note: fmt.pct(s.qa_pass_rate, 0),
    }));
    return Charts.progress("stations", rows, { labelWidth: 140, ...opts });
  }

  function table(columns, rows) {
    return el("table", {},
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", {
        class: c.n ? "n" : "", title: c.rate ? defined(c.rate).title : undefined, dataset: c.rate ? { rate: c.rate } : undefined,
      }, c.label)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, columns.map((c) => el("td", { class: c.n ? "n" : "" }, c.value(r)))))));
  }

  const QUALITY = [
    { label: "Episodes", n: true, value: (r) => fmt.num(r.episodes) },
    { label: "Hours", n: true, value: (r) => fmt.num(r.hours_recorded, 2) },
    { label: "Approved", n: true, value: (r) => fmt.num(r.approved) },
    { label: "Inspection", n: true, value: (r) => fmt.num(r.needs_inspection) },
    { label: "Rejected", n: true, value: (r) => fmt.num(r.rejected) },
    { label: "QA pass", n: true, rate: "qa_pass_rate", value: (r) => fmt.pct(r.qa_pass_rate) },
    { label: "Auto-approved", n: true, rate: "auto_approval_rate", value: (r) => fmt.pct(r.auto_approval_rate) },
    { label: "Avg score", n: true, rate: "avg_qa_score", value: (r) => fmt.score(r.avg_qa_score) },
  ];

  function stationsTable(stations) {
    return table([
      { label: "Workstation", value: (r) => r.name },
      { label: "Robot", value: (r) => el("span", {}, r.robot_name || "—", r.robot_id ? el("span", { class: `badge ${r.robot_online ? "pass" : ""}` }, r.robot_online ? "online" : "offline") : null) },
      { label: "Collector", value: (r) => r.collector_name || "—" },
      ...QUALITY,
    ], stations.items);
  }

  function breakdownTable(breakdown) {
    if (!breakdown.items.length) return el("p", { class: "muted" }, "No episodes in this period.");
    return table([{ label: "Name", value: (r) => r.name }, ...QUALITY,
      { label: "Synced", n: true, value: (r) => fmt.num(r.synced) }], breakdown.items);
  }

  return { loadDefinitions, defined, kpis, live, episodesChart, ratesChart, tasksChart, ordersChart, stationsChart, stationsTable, breakdownTable };
})();
