// One episode (the Dagster materialization metadata links here): facts, QA checks,
// evidence, decisions, status history and sync; Approve / Reject while it awaits inspection.
"use strict";

(() => {
  const { api, fill, el, fmt } = KS;
  const episodeId = decodeURIComponent(location.pathname.split("/").pop());

  // Names for the ids, best effort: a missing name shows the id.
  const REFS = [
    ["order_id", "orders"], ["workstation_id", "workstations"], ["robot_id", "robots"],
    ["data_collector_id", "data-collectors"], ["scene_id", "scenes"], ["subscene_id", "subscenes"],
    ["sop_id", "sops"],
  ];

  async function names(e) {
    const found = {};
    await Promise.all(REFS.filter(([key]) => e[key]).map(async ([key, path]) => {
      try {
        const row = await api(`/api/v1/${path}/${encodeURIComponent(e[key])}`);
        found[key] = row.name || row.device_id;
      } catch (err) { /* the id will do */ }
    }));
    return found;
  }

  function facts(e, n) {
    const ref = (key) => (e[key] ? el("span", {}, n[key] || "", " ", el("span", { class: "muted" }, fmt.short(e[key]))) : "—");
    const rows = [
      ["Status", el("span", { class: `badge ${e.status}`, id: "status" }, e.status)],
      ["Task", e.task_id], ["Order", ref("order_id")], ["Batch", e.batch_id],
      ["Workstation", ref("workstation_id")], ["Robot", ref("robot_id")],
      ["Collector", ref("data_collector_id")], ["Scene", ref("scene_id")], ["Subscene", ref("subscene_id")],
      ["SOP", ref("sop_id")], ["Duration", fmt.seconds(e.duration_s)], ["Size", fmt.bytes(e.mcap_size_bytes)],
      ["Messages", fmt.num(e.message_count)], ["Recording started", fmt.time(e.recording_started_at)],
      ["Landed", fmt.time(e.landed_at)], ["QA score", fmt.score(e.qa_score)],
      ["Assessed", fmt.time(e.qa_assessed_at)], ["Validator", e.validator_version || "—"],
      ["Approved", fmt.time(e.approved_at)], ["Recalled", e.recalled ? "yes" : "no"],
      ["Object", `${e.bucket}/${e.mcap_key}`], ["SHA-256", e.checksum_sha256 || "—"],
    ];
    return el("dl", { class: "facts" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  function history(e) {
    return el("table", {}, el("thead", {}, el("tr", {}, ["When", "From", "To", "Who", "Why"].map((h) => el("th", {}, h)))),
      el("tbody", {}, e.history.map((h) => el("tr", {}, el("td", {}, fmt.time(h.at)), el("td", {}, h.from_status || "—"),
        el("td", {}, h.to_status), el("td", {}, h.actor), el("td", {}, h.cause)))));
  }

  function decisions(e) {
    if (!e.decisions.length) return el("p", { class: "muted" }, "No inspector decisions.");
    return el("ul", {}, e.decisions.map((d) => el("li", {},
      `${fmt.time(d.decided_at)} · ${d.inspector_name} · ${d.decision}`, d.reason ? ` · ${d.reason}` : "")));
  }

  function sync(e) {
    if (!e.sync) return el("p", { class: "muted" }, "Not queued for the cloud (only approved episodes are).");
    const s = e.sync;
    return el("p", {}, el("span", { class: `badge ${s.state}` }, s.state),
      ` · ${s.attempts} attempts · ${fmt.bytes(s.bytes_sent)} of ${fmt.bytes(s.bytes_total)}`,
      s.synced_at ? ` · synced ${fmt.time(s.synced_at)}` : "", s.last_error ? el("div", { class: "error" }, s.last_error) : null);
  }

  // Flagged by QA, or auto-approved and sampled for a spot check the inspector has not decided.
  const awaitsInspector = (e) => e.status === "needs_inspection"
    || (e.status === "auto_approved" && e.spot_check && !e.spot_check.decided_at);

  function spotCheck(e) {
    const s = e.spot_check;
    if (!s) return null;
    const state = s.decided_at ? `inspector: ${s.decision}` : s.held ? "held from sync until decided" : "awaiting an inspector";
    return el("p", { id: "spot-check" }, el("span", { class: "badge spot" }, "spot check"), ` · ${state}`);
  }

  async function load(me) {
    let e;
    try {
      e = await api(`/api/v1/episodes/${encodeURIComponent(episodeId)}`);
    } catch (err) {
      if (err.status !== 401) fill("episode", el("p", { class: "error" }, err.message));
      return;
    }
    const inspector = ["admin", "operator", "inspector"].includes(me.role);
    const [links, n] = await Promise.all([inspector ? Inspect.downloads(e.id) : null, names(e)]);
    fill("episode",
      el("section", { class: "panel" }, el("h2", {}, `Episode ${e.id}`), facts(e, n),
        spotCheck(e),
        awaitsInspector(e) && inspector ? Inspect.decision(e.id, () => load(me)) : null),
      el("div", { class: "grid2" },
        el("section", { class: "panel" }, el("h2", {}, "QA checks"), Inspect.checks(e.checks, false)),
        el("div", {},
          el("section", { class: "panel" }, el("h2", {}, "Inspector decisions"), decisions(e)),
          el("section", { class: "panel" }, el("h2", {}, "Cloud sync"), sync(e)))),
      el("section", { class: "panel", id: "annotations" }, el("h2", {}, "Annotated time ranges"),
        Annotations.timeline(e)),
      el("section", { class: "panel" }, el("h2", {}, "Evidence and files"),
        links ? [Inspect.evidence(links.links), Inspect.files(links.links)] : el("p", { class: "muted" }, "Downloads are for inspectors.")),
      el("section", { class: "panel" }, el("h2", {}, "Status history"), history(e)));
    document.title = `Keystone · Episode ${fmt.short(e.id)}`;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const me = await KS.session();
    fill("user", KS.userBadge(me));
    await load(me);
  });
})();
