// An inspector's tools, shared by the inspection page and the episode page: the evidence
// pictures (presigned links from /downloads), failing checks, and Approve / Reject.
"use strict";

const Inspect = (() => {
  const { api, el, fmt } = KS;
  const CAPTIONS = {
    "timeline.png": "Timeline: every topic's span; gaps in red, missing topics marked",
    "contact_sheet.jpg": "Contact sheet: sampled camera frames; failed frames framed in red",
  };

  async function downloads(episodeId) {
    try {
      return await api(`/api/v1/episodes/${encodeURIComponent(episodeId)}/downloads`);
    } catch (e) {
      if (e.status === 403) return null;  // a collector may look, not download
      throw e;
    }
  }

  function evidence(links) {
    const pictures = links.filter((l) => l.name.startsWith("evidence:"));
    if (!pictures.length) return el("p", { class: "muted" }, "No evidence pictures for this episode.");
    return el("div", { class: "evidence" }, pictures.map((p) => {
      const name = p.name.slice("evidence:".length);
      return el("figure", { dataset: { evidence: name } },
        el("a", { href: p.url, target: "_blank", rel: "noopener noreferrer" },
          el("img", { src: p.url, alt: name, loading: "lazy" })),
        el("figcaption", {}, CAPTIONS[name] || name));
    }));
  }

  function files(links) {
    const data = links.filter((l) => !l.name.startsWith("evidence:"));
    return el("p", {}, data.map((l) => [el("a", { href: l.url, rel: "noopener noreferrer", download: "" },
      `Download ${l.name}`), " "]));
  }

  function checks(list, onlyFailing) {
    const shown = onlyFailing ? list.filter((c) => !c.passed) : list;
    if (!shown.length) return el("p", { class: "muted" }, onlyFailing ? "No failing checks." : "No checks recorded.");
    return el("ul", { class: "checks" }, shown.map((c) => el("li", { dataset: { check: c.name } },
      el("span", { class: `badge ${c.passed ? "pass" : "fail"}` }, c.passed ? "pass" : "fail"), " ",
      el("strong", {}, c.name), ` · score ${fmt.score(c.score)}`,
      c.detail ? el("div", { class: "muted" }, c.detail) : null)));
  }

  // Approve at once; Reject opens a reason box (the API requires a reason) and, on pages
  // that load annotations.js, rows naming time ranges and topics of the recording.
  function decision(episodeId, onDone) {
    const reason = el("textarea", { name: "reason", placeholder: "Why is this episode rejected?", maxlength: 2000 });
    const error = el("p", { class: "error", role: "alert" });
    const confirm = el("button", { class: "reject", type: "submit" }, "Confirm reject");
    const ranges = typeof Annotations !== "undefined" ? Annotations.editor() : null;
    const form = el("form", { class: "reject-form", hidden: true }, el("label", {}, "Reason"), reason,
      ranges ? ranges.node : null, confirm, error);
    const approve = el("button", { class: "approve", type: "button" }, "Approve");
    const reject = el("button", { class: "reject", type: "button" }, "Reject…");
    const buttons = [approve, reject, confirm];

    async function send(body) {
      buttons.forEach((b) => { b.disabled = true; });
      error.textContent = "";
      try {
        const episode = await api(`/api/v1/episodes/${encodeURIComponent(episodeId)}/inspection`, {
          method: "POST", json: body,
        });
        KS.toast(body.decision === "approve" ? "Episode approved" : "Episode rejected");
        onDone(episode);
      } catch (e) {
        error.textContent = e.message;
        buttons.forEach((b) => { b.disabled = false; });
      }
    }

    approve.addEventListener("click", () => send({ decision: "approve" }));
    reject.addEventListener("click", () => { form.hidden = false; reason.focus(); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!reason.value.trim()) { error.textContent = "A reason is required to reject."; return; }
      const body = { decision: "reject", reason: reason.value.trim() };
      if (ranges) body.annotations = ranges.values();
      send(body);
    });
    return el("div", { class: "decide", dataset: { episode: episodeId } }, approve, reject, form);
  }

  return { downloads, evidence, files, checks, decision };
})();
