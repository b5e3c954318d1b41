// An episode's labels on its page (/dashboard/episodes/{id}): every reader sees them with
// who set each; inspectors, operators and admins add ("Night Shift" becomes night-shift)
// and remove them. Kept apart from episode.js: it reads and writes only the label routes.
"use strict";

(() => {
  const { api, el, fill, fmt, toast } = KS;
  const episodeId = decodeURIComponent(location.pathname.split("/").pop());
  const path = `/api/v1/episodes/${encodeURIComponent(episodeId)}/labels`;
  let editor = false;

  function chip(l) {
    return el("span", { class: "chip label", dataset: { label: l.label }, title: `${l.created_by} · ${fmt.time(l.created_at)}` },
      l.label,
      editor ? el("button", { type: "button", "aria-label": `Remove ${l.label}`, onclick: () => remove(l.label) }, "×") : null);
  }

  function render(rows) {
    fill("labels",
      el("h2", {}, "Labels"),
      el("div", { class: "chips", id: "label-chips" },
        rows.length ? rows.map(chip) : el("span", { class: "muted" }, "No labels."),
        editor ? el("form", { class: "add-label", id: "add-label", onsubmit: add },
          el("input", { name: "label", maxlength: 64, required: true, placeholder: "add a label" }),
          el("button", { type: "submit", class: "primary" }, "Add")) : null));
  }

  async function add(event) {
    event.preventDefault();
    const input = event.target.elements.label;
    try {
      render(await api(path, { method: "POST", json: { label: input.value } }));
    } catch (err) {
      toast(err.message, "bad");  // a bad label: the API says why
    }
  }

  async function remove(label) {
    try {
      render(await api(`${path}/${encodeURIComponent(label)}`, { method: "DELETE" }));
    } catch (err) {
      toast(err.message, "bad");
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const me = await KS.session();
    editor = ["admin", "operator", "inspector"].includes(me.role);
    try {
      render(await api(path));
    } catch (err) {
      if (err.status !== 401) fill("labels", el("p", { class: "error" }, err.message));
    }
  });
})();
