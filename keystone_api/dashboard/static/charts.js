// Small inline-SVG charts (no library: the edge has no internet and no build step).
// Every chart is an <svg class="chart" data-chart=NAME>; each mark has a <title> tooltip.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = {
    auto_approved: "#2e9d5b", inspector_approved: "#7cc48f", needs_inspection: "#e0a526",
    rejected: "#d2493c", pending_qa: "#9aa5b1", tasks: "#3b7dd8", qa_pass_rate: "#2e9d5b",
    auto_approval_rate: "#3b7dd8", upload_success_rate: "#8a5cd0", sync_rate: "#1aa3a3",
  };
  const LABELS = {
    auto_approved: "Auto-approved", inspector_approved: "Approved by inspector",
    needs_inspection: "Needs inspection", rejected: "Rejected", pending_qa: "Awaiting QA",
    qa_pass_rate: "QA pass rate", auto_approval_rate: "Auto-approval rate",
    upload_success_rate: "Upload success", sync_rate: "Sync rate", tasks: "Tasks completed",
  };

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
    for (const c of children) if (c) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }
  const title = (text) => svg("title", {}, text);

  function frame(name, width, height) {
    // Drawn at the container's width (the caller passes it), so text is never stretched;
    // CSS only scales it down if the window shrinks.
    return svg("svg", {
      class: "chart", "data-chart": name, viewBox: `0 0 ${width} ${height}`,
      width, height, role: "img", "aria-label": name,
    });
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v);
  }

  // Axis labels: at most ~8 of the bucket labels, so they never overlap.
  function xLabels(root, labels, x, bottom, step) {
    const every = Math.max(1, Math.ceil(labels.length / 8));
    labels.forEach((label, i) => {
      if (i % every) return;
      root.append(svg("text", { x: x(i) + step / 2, y: bottom + 14, class: "axis", "text-anchor": "middle" }, label));
    });
  }

  function yAxis(root, max, left, top, bottom, width, percent) {
    for (const f of [0, 0.5, 1]) {
      const y = bottom - (bottom - top) * f;
      root.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }));
      const v = max * f;
      root.append(svg("text", { x: left - 4, y: y + 4, class: "axis", "text-anchor": "end" },
        percent ? `${Math.round(v * 100)}%` : String(Math.round(v * 10) / 10)));
    }
  }

  // Stacked bars: series [{key, values}] over labels.
  function bars(name, labels, series, opts = {}) {
    const W = opts.width || 720, H = opts.height || 220, L = 40, T = 10, B = H - 22;
    const root = frame(name, W, H);
    const totals = labels.map((_, i) => series.reduce((s, ser) => s + (ser.values[i] || 0), 0));
    const max = niceMax(Math.max(0, ...totals));
    const step = (W - L) / Math.max(labels.length, 1);
    const x = (i) => L + i * step;
    yAxis(root, max, L, T, B, W, false);
    labels.forEach((label, i) => {
      let y = B;
      for (const ser of series) {
        const v = ser.values[i] || 0;
        if (!v) continue;
        const h = ((B - T) * v) / max;
        y -= h;
        root.append(svg("rect", {
          x: x(i) + step * 0.12, y, width: Math.max(step * 0.76, 1), height: h,
          fill: COLORS[ser.key] || "#888", class: "bar", "data-series": ser.key,
        }, title(`${label} · ${LABELS[ser.key] || ser.key}: ${v}`)));
      }
    });
    xLabels(root, opts.shortLabels || labels, x, B, step);
    return root;
  }

  // Lines of rates (0..1); null values break the line.
  function lines(name, labels, series, opts = {}) {
    const W = opts.width || 720, H = opts.height || 220, L = 40, T = 10, B = H - 22;
    const root = frame(name, W, H);
    const step = (W - L) / Math.max(labels.length, 1);
    const x = (i) => L + i * step + step / 2;
    const y = (v) => B - (B - T) * v;
    yAxis(root, 1, L, T, B, W, true);
    const paths = svg("g"), points = svg("g");  // lines under their points
    root.append(paths, points);
    for (const ser of series) {
      let d = "", open = false;
      ser.values.forEach((v, i) => {
        if (v === null || v === undefined) { open = false; return; }
        d += `${open ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        open = true;
        points.append(svg("circle", { cx: x(i), cy: y(v), r: 2.5, fill: COLORS[ser.key], class: "point" },
          title(`${labels[i]} · ${LABELS[ser.key] || ser.key}: ${(v * 100).toFixed(1)}%`)));
      });
      paths.append(svg("path", { d, stroke: COLORS[ser.key], class: "line", fill: "none", "data-series": ser.key }));
    }
    xLabels(root, opts.shortLabels || labels, (i) => L + i * step, B, step);
    return root;
  }

  // One horizontal stacked bar per row against a target: [{label, parts: {key: n}, target}].
  function progress(name, rows, opts = {}) {
    const W = opts.width || 720, R = 26, L = opts.labelWidth || 200, H = Math.max(rows.length, 1) * R + 4;
    const root = frame(name, W, H);
    rows.forEach((row, i) => {
      const y = i * R + 4;
      const full = Math.max(row.target, Object.values(row.parts).reduce((a, b) => a + b, 0), 1);
      const scale = (W - L - 70) / full;
      root.append(svg("text", { x: 0, y: y + 14, class: "label" }, row.label));
      root.append(svg("rect", { x: L, y, width: row.target * scale, height: 18, class: "track" },
        title(`target ${row.target}`)));
      let x = L;
      for (const [key, n] of Object.entries(row.parts)) {
        if (!n) continue;
        root.append(svg("rect", { x, y, width: n * scale, height: 18, fill: COLORS[key], class: "bar",
          "data-series": key }, title(`${row.label} · ${LABELS[key] || key}: ${n}`)));
        x += n * scale;
      }
      root.append(svg("text", { x: W - 64, y: y + 14, class: "value" }, row.note || "", row.title ? title(row.title) : null));
    });
    return root;
  }

  // A ring showing value / max (robots online, a rate).
  function gauge(name, value, max, caption) {
    const root = frame(name, 120, 120);
    const r = 48, c = 2 * Math.PI * r, share = max ? Math.min(value / max, 1) : 0;
    root.append(svg("circle", { cx: 60, cy: 60, r, class: "ring-track", fill: "none" }));
    root.append(svg("circle", {
      cx: 60, cy: 60, r, class: "ring", fill: "none", "stroke-dasharray": `${c * share} ${c}`,
      transform: "rotate(-90 60 60)",
    }, title(`${caption}: ${value} of ${max}`)));
    root.append(svg("text", { x: 60, y: 66, "text-anchor": "middle", class: "ring-value" }, `${value}/${max}`));
    return root;
  }

  // titles: a tooltip per key (a rate's definition), optional.
  function legend(keys, titles = {}) {
    return KS.el("div", { class: "legend" }, keys.map((k) => {
      const swatch = KS.el("i");
      swatch.style.background = COLORS[k];  // CSSOM, not a style attribute: allowed by the CSP
      return KS.el("span", { title: titles[k], dataset: titles[k] ? { rate: k } : undefined }, swatch, LABELS[k] || k);
    }));
  }

  return { bars, lines, progress, gauge, legend, COLORS, LABELS };
})();
