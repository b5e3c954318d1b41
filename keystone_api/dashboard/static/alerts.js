// The dashboard's alerts panel: the specification's four alerts of each factory (firing
// ones first, the quiet ones as one line of chips) and the operator events nobody has
// resolved yet. Admins and operators resolve events here, as the alerts API allows; others
// see who may. A QA alert that the dev fleet simulator causes on purpose says so.
"use strict";

(() => {
  const { api, query, el, fill, fmt } = KS;
  const REFRESH_MS = 30000;
  const RESOLVERS = ["admin", "operator"];  // POST /alerts/events/{id}/resolve: staff only
  // The four specification alerts: [when firing, when quiet].
  const LABELS = {
    UploadQueueHigh: ["Upload queue high", "Upload queues"],
    QaFailureRateHigh: ["QA failure rate high", "QA failure rate"],
    NoUploads: ["No uploads", "Uploads arriving"],
    SyncQueueHigh: ["Sync queue high", "Sync queue"],
  };
  // An operator event's name: PipelineRunFailed -> "Pipeline run failed".
  const words = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/ ([A-Z])(?=[a-z])/g, (m, c) => ` ${c.toLowerCase()}`);
  const label = (a, quiet = false) => (LABELS[a.name] ? LABELS[a.name][quiet ? 1 : 0] : words(a.name));
  let me = null;
  let timer = null;

  function measure(a) {
    if (a.value === null || a.value === undefined) return null;
    const show = {
      ratio: (x) => fmt.pct(x),
      seconds: (x) => fmt.seconds(x),
    }[a.unit] || ((x) => `${fmt.num(x)} ${a.unit}`);
    return `${show(a.value)} now · fires above ${show(a.threshold)}`;
  }

  function where(a) {
    return a.factory_id ? (a.factory_name || fmt.short(a.factory_id)) : "whole edge";
  }

  function badge(a) {
    if (a.simulated) {
      return el("span", { class: "badge simulated", title: "The dev fleet simulator damages these recordings on purpose" }, "simulated");
    }
    return el("span", { class: `badge ${a.severity}` }, a.severity);
  }

  function resolveControls(a) {
    if (!RESOLVERS.includes(me.role)) {
      return el("span", { class: "muted" }, "an operator or admin resolves it");
    }
    const note = el("input", { name: "note", placeholder: "What was done (optional)", maxlength: 2000 });
    const form = el("form", { class: "resolve-form", hidden: true },
      note,
      el("button", { type: "submit", class: "primary" }, "Confirm"),
      el("button", { type: "button", class: "link", onclick: () => { form.hidden = true; open.hidden = false; } }, "Cancel"));
    const open = el("button", { type: "button", class: "link resolve", onclick: () => {
      open.hidden = true; form.hidden = false; note.focus();
    } }, "Resolve");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        await api(`/api/v1/alerts/events/${encodeURIComponent(a.event_id)}/resolve`,
          { method: "POST", json: { note: note.value } });
        KS.toast(`Resolved: ${label(a)}`);
        await load();
      } catch (e) {
        KS.toast(`Could not resolve: ${e.message}`, "bad");
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }
    });
    return [open, form];
  }

  // A failed run in the Dagster UI: its logs and Re-execute (http(s) only).
  function runLink(a) {
    if (!a.link || !/^https?:\/\//.test(a.link)) return null;
    return el("a", { href: a.link, target: "_blank", rel: "noopener noreferrer", class: "run-link" }, "Open in Dagster");
  }

  function item(a) {
    const isEvent = Boolean(a.event_id);
    const meta = [measure(a), a.since ? `since ${fmt.time(a.since)}` : null,
      a.subjects.length ? a.subjects.join(", ") : null].filter(Boolean).join(" · ");
    const dataset = { alert: a.name };
    if (isEvent) dataset.event = a.event_id;
    if (a.simulated) dataset.simulated = "true";
    return el("li", { class: `alert-item ${a.simulated ? "simulated" : a.severity}`, dataset },
      el("div", { class: "alert-head" },
        badge(a),
        el("strong", {}, label(a)),
        el("span", { class: "muted" }, where(a)),
        isEvent ? el("span", { class: "alert-actions" }, runLink(a), resolveControls(a)) : null),
      el("div", { class: "alert-desc" }, a.description),
      meta ? el("div", { class: "muted alert-meta" }, meta) : null);
  }

  function quiet(a) {
    return el("span", { class: "chip ok", title: a.description, dataset: { alert: a.name } },
      `✓ ${label(a, true)} · ${where(a)}`);
  }

  async function load() {
    const panel = document.getElementById("alerts-panel");
    panel.setAttribute("aria-busy", "true");
    try {
      const factory = document.getElementById("factory").value || undefined;
      const body = await api(`/api/v1/alerts${query({ factory_id: factory })}`);
      const firing = body.items.filter((a) => a.state === "firing");
      const ok = body.items.filter((a) => a.state !== "firing");
      const faults = firing.filter((a) => !a.simulated).length;
      fill("alerts-count", firing.length
        ? el("span", { class: `badge ${faults ? "warning" : "simulated"}` },
          `${firing.length} firing${faults < firing.length ? ` (${firing.length - faults} simulated)` : ""}`)
        : el("span", { class: "badge pass" }, "none firing"));
      fill("alerts-list", firing.map(item));
      fill("alerts-ok", ok.map(quiet));
      fill("alerts-updated", `Evaluated ${fmt.time(body.at)}`);
    } catch (e) {
      if (e.status === 403) { panel.hidden = true; return; }  // not a role that reads alerts
      if (e.status !== 401) fill("alerts-updated", el("span", { class: "error" }, `Could not load alerts: ${e.message}`));
    } finally {
      panel.setAttribute("aria-busy", "false");
    }
  }

  async function start() {
    try { me = await api("/api/v1/auth/me"); } catch (e) { return; }
    document.getElementById("factory").addEventListener("change", load);
    await load();
    timer = setInterval(load, REFRESH_MS);
  }

  // The page's login belongs to dashboard.js (one login form, one waiter): the panel starts
  // once the header shows who is signed in.
  document.addEventListener("DOMContentLoaded", () => {
    const user = document.getElementById("user");
    if (user.childElementCount) { start(); return; }
    const observer = new MutationObserver(() => {
      if (!user.childElementCount) return;
      observer.disconnect();
      start();
    });
    observer.observe(user, { childList: true });
  });
  window.addEventListener("beforeunload", () => clearInterval(timer));
})();
