// One episode of the catalog: where it came from, its QA checks and findings, its sidecar,
// and presigned downloads of the MCAP and the sidecar (fresh links on click once old).
"use strict";

(() => {
  const { api, el, fill, fmt } = KS;
  const { score, tags, start, enc } = CLOUD;
  const episodeId = decodeURIComponent(location.pathname.split("/").pop());

  function facts(e) {
    const o = e.origin;
    const id = (value) => (value ? el("span", { class: "muted" }, value) : "—");
    const named = (name, value) => (name || value ? el("span", {}, name || "", " ", id(value)) : "—");
    const rows = [
      ["Factory", el("a", { href: `/catalog/factories/${enc(o.factory_id)}` }, o.factory_name || o.factory_id)],
      ["Scene", [e.scene || "—", e.subscene ? ` / ${e.subscene}` : ""]],
      ["Skills", e.skills.length ? tags(e.skills, "skill") : "—"],
      ["Labels", e.labels.length ? tags(e.labels, "label") : "—"],
      ["Robot type", e.robot_type || "—"],
      ["Robot", named(o.device_id, o.robot_id)],
      ["Workstation", named(o.workstation, o.workstation_id)],
      ["Task", id(o.task_id)], ["Order", id(o.order_id)], ["Batch", id(o.batch_id)],
      ["QA score", el("span", { id: "score" }, score(e.qa_score))],
      ["Duration", fmt.seconds(e.duration_s)],
      ["Approved (edge)", fmt.time(e.approved_at)],
      ["Arrived (cloud)", fmt.time(o.synced_at)],
      ["Lag", fmt.seconds(o.lag_s)],
      ["Delivered by", o.delivered_by],
      ["Verified by", e.verified_by],
      ["MCAP SHA-256", e.mcap_sha256],
    ];
    return el("dl", { class: "facts", id: "origin" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  function checks(e) {
    if (!e.qa_checks.length) return el("p", { class: "muted" }, "The edge sent no check results for this episode.");
    return el("table", { id: "checks" },
      el("thead", {}, el("tr", {}, el("th", {}, "Check"), el("th", {}, "Result"), el("th", { class: "n" }, "Score"), el("th", {}, "Detail"))),
      el("tbody", {}, e.qa_checks.map((c) => el("tr", {},
        el("td", {}, c.name),
        el("td", {}, el("span", { class: `badge ${c.passed ? "pass" : "fail"}` }, c.passed ? "pass" : "fail")),
        el("td", { class: "n" }, score(c.score)),
        el("td", {}, c.detail || "")))));
  }

  function findings(e) {
    if (!e.qa_findings.length) return el("p", { class: "muted" }, "No findings.");
    return el("ul", { id: "findings" }, e.qa_findings.map((f) => el("li", {},
      el("span", { class: `badge ${f.severity}` }, f.severity), " ", el("code", {}, f.code), " ", f.message)));
  }

  // Links are presigned for a few minutes: one older than most of that is asked for again.
  let fetched = 0;
  let expiresIn = 0;

  function downloadList(d) {
    fetched = Date.now();
    expiresIn = d.expires_in;
    return el("ul", { class: "downloads", id: "downloads" }, d.links.map((link) => el("li", {},
      el("a", { href: link.url, dataset: { download: link.name }, onclick: (event) => refresh(event, link.name) },
        link.name === "mcap" ? "Download MCAP" : "Download sidecar"),
      el("span", { class: "muted" }, `${link.filename} · ${fmt.bytes(link.size_bytes)} · SHA-256 ${link.sha256.slice(0, 16)}…`))));
  }

  async function refresh(event, name) {
    if (Date.now() - fetched < expiresIn * 800) return;  // still fresh: the browser follows it
    event.preventDefault();
    const d = await api(`/api/v1/catalog/episodes/${enc(episodeId)}/downloads`);
    fill("download-panel", el("h2", {}, "Downloads"), downloadList(d));
    location.assign(d.links.find((l) => l.name === name).url);
  }

  start(async () => {
    const [e, d] = await Promise.all([
      api(`/api/v1/catalog/episodes/${enc(episodeId)}`),
      api(`/api/v1/catalog/episodes/${enc(episodeId)}/downloads`),
    ]);
    document.title = `Keystone cloud · Episode ${fmt.short(e.episode_id)}`;
    fill("main",
      el("h2", {}, "Episode ", el("code", { id: "episode-id" }, e.episode_id)),
      el("div", { class: "grid2" },
        el("section", { class: "panel" }, el("h2", {}, "Where it came from"), facts(e)),
        el("div", {},
          el("section", { class: "panel", id: "download-panel" }, el("h2", {}, "Downloads"), downloadList(d)),
          el("section", { class: "panel" }, el("h2", {}, "QA checks"), checks(e)),
          el("section", { class: "panel" }, el("h2", {}, "QA findings"), findings(e)))),
      el("section", { class: "panel" }, el("details", {}, el("summary", {}, "Sidecar"),
        el("pre", { class: "sidecar" }, JSON.stringify(e.sidecar, null, 2)))));
  });
})();
