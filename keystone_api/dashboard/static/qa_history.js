// An episode's QA history on its page (/dashboard/episodes/{id}): which version of its robot
// type's QA spec judged it, every assessment (landing or re-assessment, who asked and why),
// and a Re-assess button (admins, operators, inspectors) that previews what a re-assessment
// would do before it is confirmed with a reason. Kept apart from episode.js: it reads and
// writes only the /api/v1/qa routes.
"use strict";

(() => {
  const { api, el, fill, fmt, toast } = KS;
  const episodeId = decodeURIComponent(location.pathname.split("/").pop());
  const path = `/api/v1/qa/episodes/${encodeURIComponent(episodeId)}`;
  let me = null;

  function judged(q) {
    const a = q.latest;
    if (!a) return el("p", { id: "qa-version", class: "muted" }, "Assessed before QA history was kept (no version recorded).");
    const v = a.spec_version === null ? "an unversioned spec" : `spec version ${a.spec_version}`;
    const stale = a.spec_version !== null && q.current_spec_version !== null && a.spec_version < q.current_spec_version;
    return el("p", { id: "qa-version" }, `Judged by ${v}`,
      q.current_spec_version !== null ? ` (current: ${q.current_spec_version})` : "",
      ` · validator ${a.validator_version} · score formula ${a.formula_version}`,
      stale ? el("span", { class: "badge needs_inspection" }, " older spec") : null);
  }

  function rows(q) {
    const head = ["When", "Trigger", "Score", "Decided", "Status", "Spec", "Who", "Why"];
    return el("table", { id: "qa-history-table" },
      el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
      el("tbody", {}, q.history.map((a) => el("tr", { dataset: { assessment: a.id } },
        el("td", {}, fmt.time(a.assessed_at)), el("td", {}, a.trigger), el("td", {}, fmt.score(a.score)),
        el("td", {}, a.decided_status),
        el("td", {}, a.held ? `${a.status_after} (kept: ${a.held.replace("_", " ")})` : `${a.status_before} → ${a.status_after}`),
        el("td", {}, a.spec_version === null ? "—" : `v${a.spec_version}`),
        el("td", {}, a.requested_by || a.actor),
        el("td", {}, [a.reason || "", a.override_inspector ? " (overrode the inspector)" : ""])))));
  }

  function untouched(p) {
    return p.untouched.map((u) => el("li", {}, `${u.count} left alone: ${u.why}`));
  }

  async function preview(override) {
    const body = { filter: { episode_ids: [episodeId] }, preview: true, override_inspector: override };
    if (override) body.reason = "preview";
    const p = await api("/api/v1/qa/reassess", { method: "POST", json: body });
    const box = el("div", { id: "reassess-preview", class: "panel" },
      el("p", {}, p.count ? `Will re-assess this episode${p.record_only ? " for the record only (it is in the cloud: its status and sync stay)" : ""}.`
        : "Nothing to re-assess."),
      el("ul", {}, untouched(p)));
    if (p.count) {
      box.append(el("form", { id: "reassess-confirm", onsubmit: (e) => confirm(e, override) },
        el("input", { name: "reason", required: true, maxlength: 2000, placeholder: "why (recorded)" }),
        el("button", { type: "submit", class: "primary" }, "Confirm re-assessment")));
    } else if (!override && me.role === "admin" && p.untouched.some((u) => u.reason === "inspector_decided")) {
      box.append(el("button", { type: "button", id: "reassess-override", onclick: () => show(preview(true)) },
        "Override the inspector's decision…"));
    }
    return box;
  }

  async function show(promise) {
    try {
      const box = await promise;
      const old = document.getElementById("reassess-preview");
      if (old) old.replaceWith(box); else document.getElementById("qa-history").append(box);
    } catch (err) {
      toast(err.message, "bad");
    }
  }

  async function confirm(event, override) {
    event.preventDefault();
    const reason = event.target.elements.reason.value;
    try {
      const done = await api("/api/v1/qa/reassess", { method: "POST", json: {
        filter: { episode_ids: [episodeId] }, preview: false, reason, override_inspector: override } });
      toast(done.count ? "Marked for re-assessment: the next QA run decides it again." : "Nothing was marked.");
      await load();
    } catch (err) {
      toast(err.message, "bad");
    }
  }

  function render(q) {
    const staff = ["admin", "operator", "inspector"].includes(me.role);
    fill("qa-history",
      el("h2", {}, "QA assessments"),
      judged(q),
      q.reassess_pending ? el("p", { id: "reassess-pending", class: "badge pending_qa" }, "re-assessment pending: the current decision stands until it is recorded") : null,
      staff && !q.reassess_pending ? el("button", { type: "button", id: "reassess", onclick: () => show(preview(false)) }, "Re-assess…") : null,
      q.history.length ? rows(q) : el("p", { class: "muted" }, "No assessment recorded yet."));
  }

  async function load() {
    try {
      render(await api(path));
    } catch (err) {
      if (err.status !== 401) fill("qa-history", el("p", { class: "error" }, err.message));
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    me = await KS.session();
    await load();
  });
})();
