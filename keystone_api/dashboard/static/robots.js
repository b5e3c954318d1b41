// Enrollment secrets: admins mint one for a factory (shown once, with the URL to give
// axon-config), see which are active and how many robots each enrolled, and revoke them.
"use strict";

(() => {
  const { api, query, fill, el, fmt, toast } = KS;
  const factories = {};

  function state(s) {
    if (s.revoked_at) return el("span", { class: "badge failed" }, "revoked");
    if (!s.active) return el("span", { class: "badge" }, s.one_time && s.uses ? "used" : "expired");
    return el("span", { class: "badge pass" }, "active");
  }

  async function revoke(secret) {
    if (!confirm(`Revoke "${secret.label || secret.hint}"? Robots not yet enrolled with it will be refused.`)) return;
    await api(`/api/v1/enrollment-secrets/${secret.id}`, { method: "DELETE" });
    toast("Secret revoked");
    await load();
  }

  async function load() {
    const inactive = document.getElementById("inactive").checked;
    const page = await api(`/api/v1/enrollment-secrets${query({ include_inactive: inactive, limit: 500 })}`);
    fill("secrets", page.items.length ? page.items.map((s) => el("tr", { dataset: { secret: s.id } },
      el("td", {}, s.label || "—"),
      el("td", {}, factories[s.factory_id] || fmt.short(s.factory_id)),
      el("td", {}, el("code", {}, `${s.hint}…`)),
      el("td", {}, s.one_time ? "one-time" : "reusable"),
      el("td", { class: "n" }, fmt.num(s.uses)),
      el("td", {}, s.expires_at ? fmt.time(s.expires_at) : "never"),
      el("td", {}, s.created_by),
      el("td", {}, state(s)),
      el("td", {}, s.active ? el("button", { class: "link danger", onclick: () => revoke(s) }, "Revoke") : null),
    )) : el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No enrollment secrets.")));
  }

  async function mint(event) {
    event.preventDefault();
    const form = event.target;
    const days = form.ttl_days.value;
    const secret = await api("/api/v1/enrollment-secrets", {
      method: "POST",
      json: {
        factory_id: form.factory_id.value,
        label: form.label.value,
        one_time: form.one_time.checked,
        ttl_s: days ? Number(days) * 86400 : null,
      },
    });
    fill("minted",
      el("p", {}, el("strong", {}, "Copy it now: it is not shown again.")),
      el("p", {}, "Secret ", el("code", { id: "minted-secret" }, secret.secret)),
      el("p", {}, "Register with ", el("code", { id: "minted-url" }, secret.enroll_url)));
    document.getElementById("minted").hidden = false;
    form.label.value = "";
    await load();
  }

  async function main() {
    const me = await KS.session();
    fill("user", KS.userBadge(me));
    if (me.role !== "admin") {
      fill(document.querySelector("main"), el("p", { class: "error" }, "Only admins manage robot enrollment."));
      return;
    }
    const page = await api("/api/v1/factories?limit=500");
    for (const f of page.items) factories[f.id] = f.name;
    fill("factory", page.items.map((f) => el("option", { value: f.id }, f.name)));
    document.getElementById("mint").addEventListener("submit", (e) => mint(e).catch((err) => toast(err.message, "bad")));
    document.getElementById("inactive").addEventListener("change", () => load());
    await load();
  }

  main().catch((e) => fill(document.querySelector("main"), el("p", { class: "error" }, e.message)));
})();
