"""Two fixes every page shares (api.js), in a real headless Chromium: QA scores are shown
rounded by one helper (0.7200000000000001 had appeared), and a login holds in every tab of
the browser for its token's life (a new tab used to ask again), until a logout or expiry."""

from __future__ import annotations

import json
import time
from typing import Any

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.qa import CheckResult, QaOutcome, record_qa_result
from keystone_api.settings import get_settings
from tests.api import flows
from tests.api.world import World
from tests.dashboard.pages import login, open_page, person

UGLY = 0.1 * 7.2  # 0.7200000000000001 in binary floating point
CHECKS = ("structure", "required_topics", "duration", "gaps", "image_integrity")


def scored(w: World, s3: Any) -> dict[str, Any]:
    """An episode flagged for inspection whose score and failing check score are UGLY."""
    assert repr(UGLY) == "0.7200000000000001"
    episode = flows.record_one(w, s3, 0)
    checks = [CheckResult(n, n != "gaps", UGLY if n == "gaps" else 1.0, "test") for n in CHECKS]
    outcome = QaOutcome(score=UGLY, checks=checks, validator_version="t", formula_version="t")
    with get_sessionmaker().begin() as session:
        record_qa_result(session, get_settings(), episode["id"], outcome, "dagster:test")
    return episode


def test_scores_render_rounded_on_every_page(
    browser: Any, live_api: str, world: World, s3: Any
) -> None:
    w = world
    w.order(target=5)
    episode = scored(w, s3)
    username, password = person(w, "inspector")
    with open_page(browser, live_api) as page:
        page.goto("/dashboard/inspection")
        login(page, username, password)
        item = page.locator(f"#queue li[data-episode='{episode['id']}']")
        item.wait_for()
        assert "score 0.72" in item.inner_text()
        page.locator("#detail [data-check=gaps]").wait_for()
        detail = page.locator("#detail").inner_text()
        assert "0.72" in detail and "score 0.72" in page.locator("[data-check=gaps]").inner_text()

        page.goto(f"/dashboard/episodes/{episode['id']}")
        page.locator("#status", has_text="needs_inspection").wait_for()
        facts = page.locator("dl.facts").inner_text()
        assert "QA score\n0.72\n" in facts
        assert "score 0.72" in page.locator("[data-check=gaps]").inner_text()

        page.goto("/dashboard")  # the breakdown's average score (one episode: UGLY itself)
        page.locator("#main[aria-busy=false] #table-breakdown tbody tr").first.wait_for()
        assert "0.72" in page.locator("#table-breakdown").inner_text()

        for text in (page.content(), page.locator("body").inner_text()):
            assert "0.7200000000000001" not in text


def kept(page: Any) -> dict[str, Any]:
    return dict(json.loads(page.evaluate("localStorage.getItem('keystone.token')")))


def logged_in(page: Any, w: World) -> str:
    """Logs a new operator in on the dashboard; returns the username."""
    username, password = person(w, "operator")
    page.goto("/dashboard")
    login(page, username, password)
    page.locator("#user", has_text=username).wait_for()
    return username


def test_a_login_holds_in_a_second_tab_until_logout(
    browser: Any, live_api: str, world: World
) -> None:
    with open_page(browser, live_api) as first:
        username = logged_in(first, world)
        token = kept(first)
        # Kept until the token's own expiry (its JWT exp claim), not for the tab.
        from keystone_api.accounts.tokens import decode

        claims = decode(get_settings(), token["token"])
        assert token["exp"] == claims.expires_at and token["exp"] > time.time()
        assert first.evaluate("sessionStorage.getItem('keystone.token')") is None

        second = first.context.new_page()  # a new tab of the same browser
        second.goto("/dashboard/inspection")
        second.locator("#user", has_text=username).wait_for()
        assert second.locator("#login").count() == 0  # never asked

        # A logout in one tab ends the session in the others too.
        second.locator("#user button", has_text="Log out").click()
        second.locator("#login-form").wait_for(state="visible")
        first.locator("#login-form").wait_for(state="visible")
        assert first.evaluate("localStorage.getItem('keystone.token')") is None

        login(first, username, world.passwords[username])  # a new login lets the waiting tab in
        second.locator("#login").wait_for(state="hidden")
        second.locator("#user", has_text=username).wait_for()


def test_an_expired_login_is_dropped_and_asked_again(
    browser: Any, live_api: str, world: World
) -> None:
    with open_page(browser, live_api) as page:
        logged_in(page, world)
        # As the browser would find it once the token's exp has passed.
        token = kept(page)
        expired = json.dumps({"token": token["token"], "exp": int(time.time()) - 1})
        page.evaluate("value => localStorage.setItem('keystone.token', value)", expired)
        tab = page.context.new_page()
        tab.goto("/dashboard")
        tab.locator("#login-form").wait_for(state="visible")
        assert tab.evaluate("localStorage.getItem('keystone.token')") is None
