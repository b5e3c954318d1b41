// Time ranges an inspector's decision names in a recording ("12.0-14.5 s, /camera_left:
// occluded"): drawn on the episode's timeline (one lane per topic, the whole recording as
// the width), and entered, row by row, in the reject form (inspect.js).
"use strict";

const Annotations = (() => {
  const { el } = KS;
  const secs = (x) => `${Number(x).toFixed(1)} s`;
  const label = (a) => `${secs(a.start_s)}–${secs(a.end_s)}${a.topic ? `, ${a.topic}` : ""}: ${a.note}`;

  // Positions go through the CSSOM (node.style): the dashboard's CSP refuses style attributes.
  function block(a, span) {
    const node = el("span", { class: "range", title: label(a), dataset: { start: a.start_s, end: a.end_s } });
    node.style.left = `${(100 * a.start_s) / span}%`;
    node.style.width = `${Math.max(0.5, (100 * (a.end_s - a.start_s)) / span)}%`;
    return node;
  }

  function timeline(e) {
    const list = e.annotations || [];
    if (!list.length) return el("p", { class: "muted" }, "No time ranges named by an inspector.");
    // Without a known duration the last annotated second is the scale.
    const span = Math.max(e.duration_s || 0, ...list.map((a) => a.end_s));
    const lanes = [...new Set(list.map((a) => a.topic || ""))].sort();
    return el("div", { class: "annotations" },
      el("div", { class: "timeline", "aria-label": "Annotated time ranges on the recording's timeline" },
        lanes.map((topic) => el("div", { class: "lane", dataset: { topic } },
          el("span", { class: "lane-name" }, topic || "whole recording"),
          el("span", { class: "track" }, list.filter((a) => (a.topic || "") === topic).map((a) => block(a, span))))),
        el("div", { class: "scale" }, el("span", {}, "0 s"), el("span", {}, secs(span)))),
      el("ul", { class: "annotation-list" }, list.map((a) => el("li", { dataset: { start: a.start_s } }, label(a)))));
  }

  // Rows of start, end, topic, note; values() gives the API's list (rows left empty are skipped).
  function editor() {
    const rows = el("div", { class: "annotation-rows" });
    const add = el("button", { type: "button", class: "link", name: "add-range" }, "+ Name a time range");
    function row() {
      const input = (name, attrs) => el("input", Object.assign({ name, "aria-label": name }, attrs));
      const r = el("div", { class: "annotation-row" },
        input("start_s", { type: "number", step: "0.1", min: "0", placeholder: "from s" }),
        input("end_s", { type: "number", step: "0.1", min: "0", placeholder: "to s" }),
        input("topic", { placeholder: "/topic (optional)", maxlength: 256 }),
        input("note", { placeholder: "what is wrong", maxlength: 500 }),
        el("button", { type: "button", class: "link", onclick: () => r.remove() }, "remove"));
      rows.append(r);
      r.querySelector("[name=start_s]").focus();
    }
    add.addEventListener("click", row);
    function values() {
      return [...rows.querySelectorAll(".annotation-row")].map((r) => {
        const v = (n) => r.querySelector(`[name=${n}]`).value.trim();
        return { start_s: v("start_s"), end_s: v("end_s"), topic: v("topic"), note: v("note") };
      }).filter((a) => a.start_s || a.end_s || a.note).map((a) => ({
        start_s: Number(a.start_s), end_s: Number(a.end_s), topic: a.topic || null, note: a.note,
      }));
    }
    return { node: el("div", { class: "annotation-editor" }, rows, add), values };
  }

  return { timeline, editor, label };
})();
