// Shared by the cloud's catalog pages (after the dashboard's api.js): the page start with
// its login, and the catalog's own formatting.
"use strict";

const CLOUD = (() => {
  const { el, fill, session, userBadge } = KS;

  // The one score formatter of every page (api.js): two decimals, never a float's tail.
  const score = KS.fmt.score;

  function tags(values, kind) {
    return values.map((v) => el("span", { class: `tag ${kind}` }, v));
  }

  // Log in if needed, show who is logged in, then run the page; `main` says it is busy
  // while the page loads (tests and screen readers wait for aria-busy=false).
  async function start(run) {
    const main = document.getElementById("main");
    const me = await session();
    fill("user", userBadge(me));
    try {
      await run(me);
    } catch (e) {
      main.prepend(el("p", { class: "error", role: "alert" }, e.message));
    }
    main.setAttribute("aria-busy", "false");
  }

  function busy(on) { document.getElementById("main").setAttribute("aria-busy", on ? "true" : "false"); }

  const enc = encodeURIComponent;
  return { score, tags, start, busy, enc };
})();
