// Episode search: the API's filters (GET /api/v1/episodes) as a form, the matches as a
// table linking to each episode, and the same search as CSV (GET /api/v1/episodes.csv).
// The filters live in the page's query string, so a search is a link to share.
"use strict";

(() => {
  const { api, el, fill, fmt, toast } = KS;
  const LIMIT = 50;
  const CHECKS = ["structure", "required_topics", "duration", "gaps", "rates", "timestamps",
    "image_integrity", "joint_states", "integrity"];
  // select name -> [API list path, what to show]
  const REGISTRIES = {
    robot_id: ["robots", (r) => r.name || r.device_id],
    workstation_id: ["workstations", (r) => r.name],
    data_collector_id: ["data-collectors", (r) => r.name],
    scene_id: ["scenes", (r) => r.name],
    skill_id: ["skills", (r) => r.name],
  };
  const names = {};  // select name -> {id: name}
  let offset = 0;

  const form = () => document.getElementById("search");

  // The form as API parameters: labels repeated, local times as UTC instants.
  function params() {
    const p = new URLSearchParams();
    for (const [key, value] of new FormData(form())) {
      const v = String(value).trim();
      if (!v) continue;
      if (key === "label") v.split(",").map((s) => s.trim()).filter(Boolean).forEach((l) => p.append("label", l));
      else if (key.startsWith("landed_")) p.set(key, new Date(v).toISOString());
      else p.set(key, v);
    }
    return p;
  }

  // The query string back into the form (a shared link, the back button).
  function restore(search) {
    const p = new URLSearchParams(search);
    for (const input of form().elements) {
      if (!input.name) continue;
      const values = p.getAll(input.name);
      if (input.name === "label") input.value = values.join(", ");
      else if (input.name.startsWith("landed_") && values[0]) {
        const d = new Date(values[0]);
        input.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      } else input.value = values[0] || "";
    }
    offset = Number(p.get("offset")) || 0;
  }

  const name = (key, id) => (id ? (names[key] && names[key][id]) || fmt.short(id) : "—");
  const chips = (values, cls) => (values.length
    ? el("span", { class: "chips inline" }, values.map((v) => el("span", { class: `chip ${cls}` }, v)))
    : "—");

  function row(e) {
    return el("tr", { dataset: { episode: e.id } },
      el("td", {}, el("a", { href: `/dashboard/episodes/${encodeURIComponent(e.id)}` }, fmt.short(e.id))),
      el("td", {}, fmt.time(e.landed_at)),
      el("td", {}, el("span", { class: `badge ${e.status}` }, e.status)),
      el("td", { class: "n" }, fmt.score(e.qa_score)),
      el("td", {}, chips(e.failed_checks, "bad")),
      el("td", { class: "labels" }, chips(e.labels, "label")),
      el("td", {}, name("robot_id", e.robot_id)),
      el("td", {}, name("workstation_id", e.workstation_id)),
      el("td", {}, name("data_collector_id", e.data_collector_id)),
      el("td", {}, name("scene_id", e.scene_id)));
  }

  async function load() {
    const p = params();
    const error = document.getElementById("search-error");
    error.textContent = "";
    p.set("limit", LIMIT);
    if (offset) p.set("offset", offset);
    history.replaceState(null, "", `${location.pathname}?${p}`);
    let page;
    try {
      page = await api(`/api/v1/episodes?${p}`);
    } catch (err) {
      if (err.status === 401) return;
      error.textContent = err.message;  // a bad filter: the API says which and why
      fill("episodes");
      fill("count", "Episodes");
      return;
    }
    fill("count", `${fmt.num(page.total)} episode${page.total === 1 ? "" : "s"}`);
    fill("range", page.total ? `${offset + 1}–${offset + page.items.length}` : "");
    document.getElementById("prev").disabled = offset === 0;
    document.getElementById("next").disabled = offset + page.items.length >= page.total;
    fill("episodes", page.items.length ? page.items.map(row)
      : el("tr", {}, el("td", { colspan: 10, class: "muted" }, "No episode matches these filters.")));
  }

  async function registries() {
    await Promise.all(Object.entries(REGISTRIES).map(async ([key, [path, show]]) => {
      names[key] = {};
      try {
        const page = await api(`/api/v1/${path}?limit=500`);
        for (const r of page.items) names[key][r.id] = show(r);
      } catch (err) { return; /* not readable by this role: the ids will do */ }
      const select = form().elements[key];
      const options = Object.entries(names[key]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      select.append(...options.map(([id, label]) => el("option", { value: id }, label)));
    }));
  }

  async function main() {
    const me = await KS.session();
    fill("user", KS.userBadge(me));
    fill("checks", CHECKS.map((c) => el("option", { value: c })));
    api("/api/v1/episode-labels").then((rows) => fill("labels", rows.map((r) =>
      el("option", { value: r.label }, `${r.episodes} episodes`)))).catch(() => null);
    await registries();
    restore(location.search);
    form().addEventListener("submit", (event) => { event.preventDefault(); offset = 0; load(); });
    document.getElementById("clear").addEventListener("click", () => { form().reset(); offset = 0; load(); });
    document.getElementById("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); load(); });
    document.getElementById("next").addEventListener("click", () => { offset += LIMIT; load(); });
    document.getElementById("csv").addEventListener("click", () =>
      KS.download(`/api/v1/episodes.csv?${params()}`, "episodes.csv").catch((err) => toast(err.message, "bad")));
    await load();
  }

  main().catch((e) => fill(document.querySelector("main"), el("p", { class: "error" }, e.message)));
})();
