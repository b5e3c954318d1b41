// The inspection queue: oldest first; an episode's failing checks and evidence pictures,
// and the inspector's Approve / Reject.
"use strict";

(() => {
  const { api, fill, el, fmt } = KS;
  const REFRESH_MS = 30000;
  const names = { workstations: {}, robots: {} };
  let items = [];
  let total = 0;
  let selected = null;

  async function loadNames() {
    // Best effort: the queue still works with ids if the registries cannot be read.
    for (const kind of ["workstations", "robots"]) {
      try {
        const page = await api(`/api/v1/${kind}?limit=500`);
        for (const r of page.items) names[kind][r.id] = r.name || r.device_id || r.id;
      } catch (e) { /* ids it is */ }
    }
  }

  const station = (e) => names.workstations[e.workstation_id] || fmt.short(e.workstation_id);
  const robot = (e) => names.robots[e.robot_id] || fmt.short(e.robot_id);

  function renderQueue() {
    fill("queue-count", String(total));
    fill("queue", items.length ? items.map((item) => {
      const e = item.episode;
      return el("li", {
        class: e.id === selected ? "selected" : "", dataset: { episode: e.id }, tabindex: 0,
        onclick: () => select(e.id), onkeydown: (ev) => { if (ev.key === "Enter") select(e.id); },
      },
      el("div", {}, el("strong", {}, `${station(e)} · ${robot(e)}`), ` · score ${fmt.score(e.qa_score)}`,
        item.spot_check ? [" ", el("span", { class: "badge spot" }, "spot check")] : null),
      el("div", { class: "meta" }, item.failing_checks.map((c) => c.name).join(", ") || "low score",
        ` · waiting ${fmt.seconds(item.waiting_s)}`));
    }) : el("li", { class: "muted" }, "Nothing awaits inspection."));
  }

  async function loadQueue() {
    const filters = Bulk.queueQuery();
    const page = await api(`/api/v1/inspection/queue${filters ? `${filters}&` : "?"}limit=200`);
    items = page.items;
    total = page.total;
    renderQueue();
    if (!selected || !items.some((i) => i.episode.id === selected)) {
      const wanted = location.hash.slice(1);
      const first = items.find((i) => i.episode.id === wanted) || items[0];
      if (first) select(first.episode.id);
      else fill("detail", el("p", { class: "muted" }, "The queue is empty."));
    }
  }

  async function select(id) {
    selected = id;
    history.replaceState(null, "", `#${id}`);
    renderQueue();
    const item = items.find((i) => i.episode.id === id);
    if (!item) return;
    const e = item.episode;
    fill("detail", el("h2", {}, `Episode ${fmt.short(e.id)}`), el("p", { class: "muted" }, "Loading…"));
    const links = await Inspect.downloads(id);
    if (selected !== id) return;  // the inspector moved on meanwhile
    fill("detail",
      el("h2", {}, `Episode ${fmt.short(e.id)}`,
        el("span", { class: "actions" }, el("a", { href: `/dashboard/episodes/${e.id}` }, "Details"))),
      el("dl", { class: "facts" },
        el("dt", {}, "Workstation"), el("dd", {}, station(e)),
        el("dt", {}, "Robot"), el("dd", {}, robot(e)),
        el("dt", {}, "Landed"), el("dd", {}, fmt.time(e.landed_at)),
        el("dt", {}, "Duration"), el("dd", {}, fmt.seconds(e.duration_s)),
        el("dt", {}, "QA score"), el("dd", {}, fmt.score(e.qa_score))),
      item.spot_check ? el("p", { class: "spot-note" }, el("span", { class: "badge spot" }, "spot check"),
        " Approved by QA, sampled for an inspector; held from sync until you decide.") : null,
      el("h3", {}, "Failing checks"), Inspect.checks(item.failing_checks, true),
      el("h3", {}, "Evidence"), links ? Inspect.evidence(links.links) : el("p", { class: "muted" }, "No access to downloads."),
      Inspect.decision(id, () => decided(id)));
  }

  function decided(id) {
    const index = items.findIndex((i) => i.episode.id === id);
    items.splice(index, 1);
    total -= 1;
    selected = null;
    const next = items[Math.min(index, items.length - 1)];
    renderQueue();
    if (next) select(next.episode.id);
    else fill("detail", el("p", { class: "muted" }, "The queue is empty."));
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const me = await KS.session();
    fill("user", KS.userBadge(me));
    if (!["admin", "operator", "inspector"].includes(me.role)) {
      fill("detail", el("p", { class: "error" }, "Inspection is for inspectors, operators and admins."));
      return;
    }
    await loadNames();
    Bulk.start();
    document.addEventListener("inspection-filters", () => { selected = null; loadQueue(); });
    await loadQueue();
    document.getElementById("reload").addEventListener("click", loadQueue);
    setInterval(() => loadQueue().catch(() => {}), REFRESH_MS);
  });
})();
