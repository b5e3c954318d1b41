// Shared by every dashboard page: the bearer token, calls to the JSON API, the login
// form, DOM building and number formatting. No framework: the pages stay buildless.
"use strict";

const KS = (() => {
  const KEY = "keystone.token";
  const DISPLAY_KEY = "keystone.display";
  // A floor screen's token comes after the '#' of its URL (/dashboard/display#token=...):
  // a fragment never leaves the browser, so no request line or access log holds it. It is
  // kept for the tab and taken off the address bar; the API gets it as a Bearer header.
  const hashToken = new URLSearchParams(location.hash.slice(1)).get("token");
  if (hashToken) {
    sessionStorage.setItem(DISPLAY_KEY, hashToken);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const urlToken = location.pathname === "/dashboard/display" ? sessionStorage.getItem(DISPLAY_KEY) : null;

  // A person's login holds in every tab of this browser for its token's life: the token
  // is kept in localStorage with its expiry (the JWT's exp), and dropped at that time, on
  // logout and on a 401. (It was per tab in sessionStorage: every new tab asked again.)
  sessionStorage.removeItem(KEY);  // where earlier versions kept it
  function expiry(jwt, fallbackS) {
    try {
      const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const exp = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="))).exp;
      if (Number.isFinite(exp)) return exp;
    } catch (e) { /* not a JWT we can read: the login's expires_in says it */ }
    return Math.floor(Date.now() / 1000) + (Number(fallbackS) || 0);
  }
  function keep(jwt, expiresIn) {
    localStorage.setItem(KEY, JSON.stringify({ token: jwt, exp: expiry(jwt, expiresIn) }));
  }
  function forget() { localStorage.removeItem(KEY); }
  function stored() {
    try {
      const kept = JSON.parse(localStorage.getItem(KEY) || "null");
      if (kept && kept.token && kept.exp * 1000 > Date.now()) return kept.token;
    } catch (e) { /* unreadable: dropped below */ }
    forget();
    return null;
  }
  function token() { return urlToken || stored(); }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path, options = {}) {
    const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options = Object.assign({}, options, { body: JSON.stringify(options.json) });
    }
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (options.raw) {
      if (!response.ok) throw new ApiError(response.status, null);
      return response;
    }
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status === 401 && !urlToken) {
      forget();
      showLogin("Your session has ended; please log in again.");
    }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : "";
  }

  // el("div", {class: "card", onclick: fn}, "text", childNode, ...): text is never parsed as
  // HTML, so names typed by people cannot inject markup.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) {
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function fill(target, ...children) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
    return node;
  }

  const fmt = {
    // Every QA score on every page goes through here: two decimals, never a float's tail
    // (0.7200000000000001 showed on a page).
    score: (x) => (x === null || x === undefined || x === "" || !Number.isFinite(Number(x)) ? "—"
      : Number(x).toFixed(2)),
    pct: (x, digits = 1) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)} %`),
    num: (x, digits = 0) => (x === null || x === undefined ? "—"
      : Number(x).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits })),
    bytes(n) {
      if (n === null || n === undefined) return "—";
      const units = ["B", "KB", "MB", "GB", "TB", "PB"];
      let i = 0;
      while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
      return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
    },
    seconds(s) {
      if (s === null || s === undefined) return "—";
      if (s < 90) return `${Math.round(s)} s`;
      if (s < 5400) return `${Math.round(s / 60)} min`;
      return `${(s / 3600).toFixed(1)} h`;
    },
    time: (iso) => (iso ? new Date(iso).toLocaleString() : "—"),
    short: (id) => (id ? String(id).slice(-8) : "—"),
    // A change against the previous period: relative for counts, points for rates.
    change(x, isRate) {
      if (x === null || x === undefined) return { text: "", cls: "flat" };
      const v = isRate ? `${(x * 100).toFixed(1)} pt` : `${(x * 100).toFixed(0)} %`;
      return { text: `${x > 0 ? "▲ +" : x < 0 ? "▼ " : "= "}${v}`, cls: x > 0 ? "up" : x < 0 ? "down" : "flat" };
    },
  };

  let loginResolve = null;
  let loginWait = null;
  let signedIn = false;  // this page asked for a session (see session())

  function showLogin(message) {
    let dialog = document.getElementById("login");
    if (!dialog) {
      dialog = el("div", { id: "login", class: "overlay" },
        el("form", { class: "login-form", id: "login-form" },
          el("h2", {}, "Keystone"),
          el("p", { class: "muted", id: "login-message" }, ""),
          el("label", {}, "Username", el("input", { name: "username", autocomplete: "username", required: true })),
          el("label", {}, "Password", el("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
          el("button", { type: "submit", class: "primary" }, "Log in"),
          el("p", { class: "error", id: "login-error", role: "alert" }, "")));
      document.body.append(dialog);
      dialog.querySelector("form").addEventListener("submit", onLogin);
    }
    document.getElementById("login-message").textContent = message || "Log in to continue.";
    dialog.hidden = false;
    dialog.querySelector("input[name=username]").focus();
  }

  async function onLogin(event) {
    event.preventDefault();
    const form = event.target;
    const error = document.getElementById("login-error");
    error.textContent = "";
    try {
      const body = await api("/api/v1/auth/login", {
        method: "POST", json: { username: form.username.value, password: form.password.value },
      });
      keep(body.access_token, body.expires_in);
      document.getElementById("login").hidden = true;
      form.password.value = "";
      const me = await api("/api/v1/auth/me");
      if (loginResolve) loginResolve(me);
    } catch (e) {
      error.textContent = e.message;
    }
  }

  // Resolves with /auth/me once the page has a working token (asking for a login if not).
  async function session() {
    signedIn = true;
    if (token()) {
      try { return await api("/api/v1/auth/me"); } catch (e) { if (e.status !== 401) throw e; }
    }
    // One login for every script of the page that asks (episode.js, labels.js, ...): each
    // awaits the same promise; a second resolver would replace the first, which then waited
    // forever.
    if (!loginWait) {
      loginWait = new Promise((resolve) => {
        loginResolve = (me) => { loginWait = null; resolve(me); };
        showLogin();
      });
    }
    return loginWait;
  }

  function logout() { forget(); location.reload(); }

  // A logout (or an expiry noticed) in another tab ends this tab's session too.
  // A login in another tab lets this one in, if it was asking.
  window.addEventListener("storage", async (event) => {
    if (event.key !== KEY || urlToken) return;
    const dialog = document.getElementById("login");
    if (!event.newValue) {
      if (signedIn) showLogin("You logged out in another tab; please log in again.");
    } else if (dialog && !dialog.hidden && stored()) {
      dialog.hidden = true;
      const me = await api("/api/v1/auth/me");
      if (loginResolve) loginResolve(me);
    }
  });

  function userBadge(me) {
    return el("span", { class: "user" }, `${me.name} · ${me.role}`,
      urlToken ? null : el("button", { class: "link", onclick: logout }, "Log out"));
  }

  // A CSV link must carry the bearer token, so it downloads through fetch and a blob.
  async function download(path, filename) {
    const response = await api(path, { raw: true, headers: { Accept: "text/csv" } });
    const url = URL.createObjectURL(await response.blob());
    const a = el("a", { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function toast(message, kind = "ok") {
    const node = el("div", { class: `toast ${kind}`, role: "status" }, message);
    document.body.append(node);
    setTimeout(() => node.remove(), 4000);
  }

  return { api, query, el, fill, fmt, session, userBadge, download, toast, token, ApiError };
})();
