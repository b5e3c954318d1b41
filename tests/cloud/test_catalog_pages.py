"""The cloud's pages in a real headless Chromium: a data reader logs in to the catalog,
filters it, opens an episode and finds its downloads (which the store serves), then views
the factory's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from keystone_api.ids import new_id
from tests.api.world import auth, ok
from tests.cloud.deliveries import admin, deliver, facts
from tests.dashboard.pages import login, open_page
from tests.sync.conftest import Cloud


def _reader_account(cloud: Cloud) -> tuple[str, str]:
    username, password = f"reader-{new_id()[-10:]}", "a-reader-password-1"
    body = {"username": username, "password": password, "role": "data_reader"}
    made = httpx.post(cloud.api + "/api/v1/users", json=body, headers=auth(admin()), timeout=30)
    ok(made, 201)
    return username, password


def _rows(page: Any) -> list[str]:
    return [
        str(r)
        for r in page.locator("#episodes tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.episode || '')"
        )
    ]


def test_a_reader_filters_the_catalog_opens_an_episode_and_its_factory(
    browser: Any, cloud: Cloud
) -> None:
    factory = f"fp-{new_id()[-8:]}"
    name = f"Factory Pages {factory[-4:]}"
    t0 = datetime.now(UTC) - timedelta(hours=3)
    kitchen = deliver(
        cloud, factory, t0, facts(factory_name=name, scene="Kitchen", qa_score=0.9600000001)
    )
    laundry = deliver(
        cloud,
        factory,
        t0 + timedelta(hours=1),
        facts(factory_name=name, scene="Laundry", labels=["night"]),
    )
    username, password = _reader_account(cloud)

    with open_page(browser, cloud.api) as page:
        page.goto("/catalog")
        login(page, username, password)
        page.locator("#main[aria-busy=false]").wait_for()
        page.select_option("#f-factory", factory)
        # The name filters suggest what exists in that factory.
        # Polled from here, not with wait_for_function: the pages' CSP forbids eval, and a
        # predicate that is not true at once is evaluated as a string in the page.
        expect(page.locator("#scenes option")).to_have_count(2)
        scenes = page.locator("#scenes option").evaluate_all("os => os.map(o => o.value)")
        assert scenes == ["Kitchen", "Laundry"]
        page.click("#filters button[type=submit]")
        page.locator("#total", has_text="2 found").wait_for()
        assert _rows(page) == [laundry["episode_id"], kitchen["episode_id"]]
        assert f"factory_id={factory}" in page.url  # the search is a link to share

        page.fill("#filters input[name=scene]", "Kitchen")
        page.click("#filters button[type=submit]")
        page.locator("#total", has_text="1 found").wait_for()
        row = page.locator(f"#episodes tbody tr[data-episode='{kitchen['episode_id']}']")
        assert "0.96" in row.inner_text() and "0.9600000001" not in row.inner_text()
        assert name in row.inner_text()

        row.locator("a").click()
        page.locator("#downloads a[data-download=mcap]").wait_for()
        assert page.locator("#episode-id").inner_text() == kitchen["episode_id"]
        origin = page.locator("#origin").inner_text()
        assert "Kitchen" in origin and "WS-01" in origin and "robot-0001" in origin
        assert page.locator("#checks tbody tr").count() == 1
        href = page.locator("#downloads a[data-download=mcap]").get_attribute("href")
        assert href and href.startswith(cloud.s3_url)
        fetched = httpx.get(href, timeout=30)
        assert fetched.status_code == 200 and fetched.content == kitchen["data"]

        page.locator("#origin a", has_text=name).click()
        page.locator("#main[aria-busy=false] [data-kpi=episodes]").wait_for()
        assert page.locator("[data-kpi=episodes] .v").inner_text() == "2"
        assert page.locator("[data-kpi=last_24h] .v").inner_text() == "2"
        assert page.locator("#breakdown tbody tr").count() == 3  # two scenes, one robot type
        page.click("#browse")
        page.locator("#total", has_text="2 found").wait_for()

        page.goto("/catalog/factories")
        page.locator(f"#factories tr[data-factory='{factory}']").wait_for()
        assert name in page.locator(f"#factories tr[data-factory='{factory}']").inner_text()
