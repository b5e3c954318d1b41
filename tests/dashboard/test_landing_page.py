"""The landing page at / in a real headless Chromium: a link to each page with a line on
what it is for, the Dagster UI at the URL its setting names, and links that work."""

from __future__ import annotations

from typing import Any

import httpx

from tests.dashboard.pages import open_page
from tests.support.settings_env import settings_env

DAGSTER = "http://127.0.0.1:3999/"  # nothing listens there: only the link is checked
# What each door of the landing page leads to, on this server.
LOCAL = {
    "dashboard": "/dashboard",
    "inspection": "/dashboard/inspection",
    "episodes": "/dashboard/episodes",
    "robots": "/dashboard/robots",
    "display": "/dashboard/display",
    "docs": "/docs",
    "redoc": "/redoc",
    "metrics": "/metrics",
}


def doors(page: Any) -> dict[str, str]:
    found = {}
    for li in page.locator("#doors li").all():
        link = li.locator("a")
        found[str(li.get_attribute("data-door"))] = (
            str(link.get_attribute("href")) if link.count() else ""
        )
    return found


def test_the_landing_page_links_every_page_with_what_it_is_for(browser: Any, live_api: str) -> None:
    with settings_env(dagster_url=DAGSTER), open_page(browser, live_api) as page:
        page.goto("/")
        assert page.title() == "Keystone edge"
        assert doors(page) == {**LOCAL, "dagster": DAGSTER}
        for li in page.locator("#doors li").all():  # each says what it is for, and for whom
            assert len(li.locator("span").first.inner_text()) > 40
        assert "inspector" in page.locator("[data-door=inspection]").inner_text()
        assert "Prometheus" in page.locator("[data-door=metrics]").inner_text()

        page.click("[data-door=dashboard] a")
        page.wait_for_url("**/dashboard")
        page.locator("#login-form").wait_for(state="visible")  # the dashboard asks for a login
        page.go_back()
        page.click("[data-door=docs] a")
        page.wait_for_url("**/docs")
        page.locator(".swagger-ui .info .title", has_text="Keystone edge").wait_for()

    # Every link on this server answers (metrics asks for its scrape token outside dev mode).
    with httpx.Client(base_url=live_api, timeout=30) as client:
        for name, path in LOCAL.items():
            status = client.get(path).status_code
            assert status == (401 if name == "metrics" else 200), (name, status)


def test_without_a_dagster_url_the_landing_page_says_which_setting_names_it(
    browser: Any, live_api: str
) -> None:
    with open_page(browser, live_api) as page:
        page.goto("/")
        dagster = page.locator("[data-door=dagster]")
        assert dagster.locator("a").count() == 0
        assert "KEYSTONE_DAGSTER_URL" in dagster.inner_text()


def test_the_landing_page_escapes_its_dagster_url(live_api: str) -> None:
    with settings_env(dagster_url='http://x/"><script>alert(1)</script>'):
        body = httpx.get(live_api + "/", timeout=30).text
    assert "<script>" not in body and "&lt;script&gt;" in body
