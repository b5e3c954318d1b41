// The inspection page's filters (they narrow the queue too), a bulk decision on the filtered
// set (preview first: count and ids; then one reason and a confirm that decides exactly the
// previewed set, or shows the new set when it changed), and spot-check agreement per robot
// type.
"use strict";

const Bulk = (() => {
  const { api, el, fill, fmt, query } = KS;
  const AGREEMENT_DAYS = 30;

  function form() { return document.getElementById("bulk-filters"); }

  // The API's filters from the form; empty fields are left out.
  function filters() {
    const data = new FormData(form());
    const out = {};
    for (const [k, v] of data.entries()) {
      const value = String(v).trim();
      if (!value) continue;
      if (k.startsWith("score_")) out[k] = Number(value);
      else if (k.startsWith("landed_")) out[k] = new Date(value).toISOString();
      else out[k] = value;
    }
    return out;
  }

  const queueQuery = () => query(filters());

  async function options() {
    // Best effort: a select without names still filters by what is typed elsewhere.
    for (const [name, path] of [["robot_type_id", "robot-types"], ["workstation_id", "workstations"]]) {
      try {
        const page = await api(`/api/v1/${path}?limit=500`);
        const select = form().querySelector(`[name=${name}]`);
        for (const r of page.items) select.append(el("option", { value: r.id }, r.name || r.id));
      } catch (e) { /* ids only */ }
    }
  }

  function renderPreview(preview, note) {
    if (!preview.count) {
      fill("bulk-preview", el("p", { class: "muted" }, note || "", " No episode awaiting an inspector matches these filters."));
      return;
    }
    const decision = el("select", { name: "decision" },
      el("option", { value: "approve" }, "approve"), el("option", { value: "reject" }, "reject"));
    const reason = el("textarea", { name: "bulk-reason", maxlength: 2000, placeholder: "One reason for every episode in the set" });
    const error = el("p", { class: "error", role: "alert" });
    const confirm = el("button", { type: "button", id: "bulk-confirm" }, `Confirm for ${preview.count} episodes`);
    const tooMany = preview.count > preview.limit;
    if (tooMany) confirm.disabled = true;
    confirm.addEventListener("click", () => apply(preview, decision.value, reason.value, error, confirm));
    fill("bulk-preview",
      note ? el("p", { class: "error", id: "bulk-changed" }, note) : null,
      el("p", { id: "bulk-count" }, el("strong", {}, `${preview.count} episodes`),
        ` (${preview.spot_checks} spot checks) would be decided.`,
        tooMany ? ` At most ${preview.limit} at once: narrow the filters.` : ""),
      el("div", { class: "ids", id: "bulk-ids" }, preview.episode_ids.map((id) => el("div", {}, id))),
      el("label", {}, "Decision ", decision), el("label", {}, "Reason", reason), confirm, error);
  }

  async function preview() {
    const got = await api("/api/v1/inspection/bulk/preview", { method: "POST", json: { filters: filters() } });
    renderPreview(got);
  }

  async function apply(shown, decision, reason, error, confirm) {
    if (!reason.trim()) { error.textContent = "A reason is required for a bulk decision."; return; }
    confirm.disabled = true;
    try {
      const done = await api("/api/v1/inspection/bulk", {
        method: "POST", json: { filters: filters(), token: shown.token, decision, reason: reason.trim() },
      });
      KS.toast(`${done.decided} episodes: ${decision === "approve" ? "approved" : "rejected"}`);
      fill("bulk-preview", el("p", { id: "bulk-done" }, `Decided ${done.decided} episodes (${decision}).`));
      changed();
      agreement().catch(() => {});
    } catch (e) {
      const fresh = e.status === 409 && e.body && e.body.error.details && e.body.error.details.preview;
      if (fresh) {
        renderPreview(fresh, `The set changed since the preview: ${fresh.count} episodes now. Check them and confirm again.`);
        changed();
      } else {
        error.textContent = e.message;
        confirm.disabled = false;
      }
    }
  }

  function changed() { document.dispatchEvent(new CustomEvent("inspection-filters")); }

  async function agreement() {
    const since = new Date(Date.now() - AGREEMENT_DAYS * 86400e3).toISOString();
    const [rows, defs] = await Promise.all([
      api(`/api/v1/inspection/spot-checks${query({ decided_after: since })}`),
      api("/api/v1/stats/definitions").catch(() => []),
    ]);
    const def = (Array.isArray(defs) ? defs : defs.items || []).find((d) => d.name === "spot_check_agreement_rate");
    fill("spot-agreement",
      rows.length ? el("table", {},
        el("thead", {}, el("tr", {}, ["Robot type", "Share sampled", "Waiting", "Decided", "Approved", "Agreement"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows.map((r) => el("tr", { dataset: { robotType: r.robot_type_id } },
          el("td", {}, r.robot_type), el("td", {}, fmt.pct(r.share)), el("td", {}, fmt.num(r.waiting)),
          el("td", {}, fmt.num(r.decided)), el("td", {}, fmt.num(r.agreed)),
          el("td", { class: "agreement" }, fmt.pct(r.spot_check_agreement_rate))))))
        : el("p", { class: "muted" }, "No robot types."),
      def ? el("p", { class: "muted caption" }, def.definition) : null);
  }

  function start() {
    form().addEventListener("submit", (event) => {
      event.preventDefault();
      fill("bulk-preview");
      changed();
    });
    document.getElementById("bulk-preview-button").addEventListener("click", () => preview().catch((e) => {
      fill("bulk-preview", el("p", { class: "error" }, e.message));
    }));
    options();
    agreement().catch((e) => fill("spot-agreement", el("p", { class: "error" }, e.message)));
  }

  return { start, queueQuery };
})();
