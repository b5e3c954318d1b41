// Re-assess the episodes a search on the Episodes page matches: the ids of every match (the
// page's own filters, from its query string; at most 10,000, else narrow the search) go to
// POST /api/v1/qa/reassess as a preview first (how many, which are left alone and why), then
// a reason confirms it. Kept apart from episodes.js: it reads the list and writes only the
// /api/v1/qa routes.
"use strict";

(() => {
  const { api, el, fill, toast } = KS;
  const MAX = 10000;
  const PAGE = 500;
  let me = null;
  let ids = [];

  async function matches() {
    const p = new URLSearchParams(location.search);
    p.delete("offset");
    p.set("limit", String(PAGE));
    const found = [];
    for (let offset = 0; ; offset += PAGE) {
      p.set("offset", String(offset));
      const page = await api(`/api/v1/episodes?${p}`);
      found.push(...page.items.filter((e) => e.status !== "pending_qa").map((e) => e.id));
      if (offset + PAGE >= page.total) return found;
      if (offset + PAGE >= MAX) throw new Error(`More than ${MAX} episodes match: narrow the search first.`);
    }
  }

  function body(preview, override, reason = "") {
    return { filter: { episode_ids: ids }, preview, override_inspector: override, reason };
  }

  async function preview() {
    const override = Boolean(document.querySelector("#reassess-list input[name=override]:checked"));
    try {
      ids = await matches();
      if (!ids.length) return show(el("p", { id: "reassess-list-preview" }, "No assessed episode matches this search."));
      const p = await api("/api/v1/qa/reassess", { method: "POST", json: body(true, override, override ? "preview" : "") });
      show(el("div", { id: "reassess-list-preview" },
        el("p", { id: "reassess-list-count" }, `${p.count} of ${ids.length} matching episodes will be re-assessed`,
          p.record_only ? ` (${p.record_only} for the record only: in the cloud, their status and sync stay)` : "", "."),
        el("ul", {}, p.untouched.map((u) => el("li", {}, `${u.count} left alone: ${u.why}`))),
        p.count ? el("form", { id: "reassess-list-confirm", onsubmit: (e) => confirm(e, override) },
          el("input", { name: "reason", required: true, maxlength: 2000, placeholder: "why (recorded)" }),
          el("button", { type: "submit", class: "primary" }, `Re-assess ${p.count}`)) : null));
    } catch (err) {
      toast(err.message, "bad");
    }
  }

  async function confirm(event, override) {
    event.preventDefault();
    try {
      const done = await api("/api/v1/qa/reassess", { method: "POST", json: body(false, override, event.target.elements.reason.value) });
      show(el("p", { id: "reassess-list-done" }, `${done.count} episodes marked: the next QA run of their hours decides them again.`));
    } catch (err) {
      toast(err.message, "bad");
    }
  }

  function show(node) {
    const old = document.getElementById("reassess-list-result");
    const box = el("div", { id: "reassess-list-result" }, node);
    if (old) old.replaceWith(box); else document.getElementById("reassess-list").append(box);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    me = await KS.session();
    if (!["admin", "operator", "inspector"].includes(me.role)) return;
    fill("reassess-list",
      el("h2", {}, "Re-assess this search"),
      el("p", { class: "muted" }, "Runs QA again on the matching episodes with today's spec; a preview comes first."),
      me.role === "admin" ? el("label", {}, el("input", { type: "checkbox", name: "override" }), " also overrule inspectors' decisions") : null,
      el("button", { type: "button", id: "reassess-list-button", onclick: preview }, "Preview re-assessment…"));
  });
})();
