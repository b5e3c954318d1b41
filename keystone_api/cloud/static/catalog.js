// The episode catalog: filters (kept in the address bar, so a search is a link to share),
// one page of episodes at a time, newest approval first.
"use strict";

(() => {
  const { api, el, fill, fmt } = KS;
  const { score, tags, start, busy, enc } = CLOUD;
  const LIMIT = 50;
  const form = document.getElementById("filters");
  let offset = 0;

  // datetime-local inputs hold the viewer's local time; the API takes aware ISO times.
  const toIso = (v) => (v ? new Date(v).toISOString() : "");
  const toLocal = (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  };

  function params() {
    const q = new URLSearchParams();
    for (const name of ["factory_id", "scene", "skill", "robot_type", "score_min", "score_max", "order"]) {
      const v = form.elements[name].value.trim();
      if (v) q.set(name, v);
    }
    for (const name of ["approved_from", "approved_to"]) {
      const v = toIso(form.elements[name].value);
      if (v) q.set(name, v);
    }
    for (const label of form.elements.label.value.split(",").map((s) => s.trim()).filter(Boolean)) q.append("label", label);
    if (q.get("order") === "newest") q.delete("order");
    return q;
  }

  function restore(q) {
    for (const name of ["factory_id", "scene", "skill", "robot_type", "score_min", "score_max", "order"]) {
      if (q.get(name)) form.elements[name].value = q.get(name);
    }
    for (const name of ["approved_from", "approved_to"]) if (q.get(name)) form.elements[name].value = toLocal(q.get(name));
    if (q.getAll("label").length) form.elements.label.value = q.getAll("label").join(", ");
    offset = Math.max(0, Number(q.get("offset")) || 0);
  }

  function row(e) {
    const link = el("a", { href: `/catalog/episodes/${enc(e.episode_id)}` }, fmt.short(e.episode_id));
    return el("tr", { dataset: { episode: e.episode_id } },
      el("td", {}, fmt.time(e.approved_at)),
      el("td", {}, e.factory_name || e.factory_id),
      el("td", {}, e.scene || "—", e.subscene ? el("span", { class: "muted" }, ` / ${e.subscene}`) : null),
      el("td", {}, tags(e.skills, "skill")),
      el("td", {}, e.robot_type || "—"),
      el("td", { class: "n" }, score(e.qa_score)),
      el("td", {}, tags(e.labels, "label")),
      el("td", { class: "n" }, fmt.seconds(e.duration_s)),
      el("td", { class: "n" }, fmt.bytes(e.mcap_size_bytes + e.sidecar_size_bytes)),
      el("td", {}, link));
  }

  async function search() {
    busy(true);
    const q = params();
    if (offset) q.set("offset", offset);
    history.replaceState(null, "", `/catalog${q.toString() ? "?" + q : ""}`);
    q.set("limit", LIMIT);
    fill("error");
    try {
      const page = await api(`/api/v1/catalog/episodes?${q}`);
      fill(document.querySelector("#episodes tbody"), page.items.length
        ? page.items.map(row)
        : el("tr", {}, el("td", { colspan: 10, class: "muted" }, "No episode matches these filters.")));
      fill("total", `${fmt.num(page.total)} found`);
      fill("range", page.total ? `${offset + 1}–${offset + page.items.length}` : "");
      document.getElementById("prev").disabled = offset === 0;
      document.getElementById("next").disabled = offset + page.items.length >= page.total;
    } catch (e) {
      fill("error", e.message);
    }
    busy(false);
  }

  // Suggestions for the name filters: the values that exist (in the chosen factory).
  let asked = 0;
  async function suggest() {
    const factory = form.elements.factory_id.value;
    const mine = ++asked;
    const f = await api(`/api/v1/catalog/facets${factory ? "?factory_id=" + enc(factory) : ""}`);
    if (mine !== asked) return;  // the factory changed again meanwhile: a later answer wins
    for (const name of ["scenes", "skills", "robot_types", "labels"]) {
      fill(name, f[name].map((v) => el("option", { value: v })));
    }
  }

  async function factories() {
    const select = document.getElementById("f-factory");
    for (const f of await api("/api/v1/catalog/factories")) {
      select.append(el("option", { value: f.factory_id }, f.factory_name || f.factory_id));
    }
  }

  start(async () => {
    await factories();
    restore(new URLSearchParams(location.search));
    await suggest();
    form.elements.factory_id.addEventListener("change", suggest);
    form.addEventListener("submit", (event) => { event.preventDefault(); offset = 0; search(); });
    form.addEventListener("reset", () => { offset = 0; setTimeout(search, 0); });
    document.getElementById("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); search(); });
    document.getElementById("next").addEventListener("click", () => { offset += LIMIT; search(); });
    await search();
  });
})();
