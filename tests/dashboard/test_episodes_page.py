"""The Episodes page and the episode page's labels in a real headless Chromium: the search
form narrows the table as the API does (the filters kept in the page's address), its CSV
is the same list, and an inspector adds and removes a label on an episode's page."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tests.api.world import auth, ok
from tests.dashboard.pages import login, open_page, person
from tests.episodes.conftest import search_client, searchable  # noqa: F401, F811
from tests.episodes.search_world import SearchWorld


def _shown(page: Any) -> list[str]:
    return [str(r.get_attribute("data-episode")) for r in page.locator("#episodes tr").all()]


def _api_ids(sw: SearchWorld, params: Any) -> list[str]:
    return [e["id"] for e in ok(sw.search(params))["items"]]


def test_the_search_form_narrows_the_list_and_exports_it(
    browser: Any,
    live_api: str,
    searchable: SearchWorld,  # noqa: F811
) -> None:
    sw = searchable
    username, password = person(sw.w, "inspector")
    with open_page(browser, live_api, accept_downloads=True) as page:
        page.goto("/dashboard/episodes?label=night-shift")
        login(page, username, password)
        page.locator("#count", has_text="2 episodes").wait_for()
        assert _shown(page) == _api_ids(sw, {"label": "night-shift"})
        assert page.locator("input[name=label]").input_value() == "night-shift"
        # The labels in use are offered as suggestions.
        page.locator("#labels option[value='occluded']").wait_for(state="attached")

        page.fill("input[name=q]", "Ravi")
        page.select_option("select[name=status]", "needs_inspection")
        page.locator("form#search button[type=submit]").click()
        page.locator("#count", has_text="1 episode").wait_for()
        assert _shown(page) == [sw.ids["gappy"]]
        row = page.locator(f"#episodes tr[data-episode='{sw.ids['gappy']}']")
        assert "night-shift" in row.locator("td.labels").inner_text()
        assert "gaps" in row.inner_text()
        assert "q=Ravi" in page.url and "status=needs_inspection" in page.url

        page.fill("input[name=q]", "")
        page.select_option("select[name=status]", "")
        page.select_option("select[name=robot_id]", sw.w.robots[1]["id"])
        page.locator("form#search button[type=submit]").click()
        page.locator(f"#episodes tr[data-episode='{sw.ids['gappy']}']").wait_for(state="detached")
        assert _shown(page) == [sw.ids["socks"]]

        params = {"label": "night-shift", "robot_id": sw.w.robots[1]["id"]}
        with page.expect_download() as download:
            page.click("#csv")
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        assert [r["id"] for r in rows] == _api_ids(sw, params) == [sw.ids["socks"]]


def test_an_inspector_labels_an_episode_on_its_page(
    browser: Any,
    live_api: str,
    searchable: SearchWorld,  # noqa: F811
) -> None:
    sw = searchable
    episode_id = sw.ids["fresh"]
    username, password = person(sw.w, "inspector")
    with open_page(browser, live_api) as page:
        page.goto(f"/dashboard/episodes/{episode_id}")
        login(page, username, password)
        page.locator("#labels", has_text="No labels.").wait_for()
        page.fill("#add-label input[name=label]", "Browser Check")
        page.locator("#add-label button[type=submit]").click()
        chip = page.locator("#label-chips [data-label='browser-check']")
        chip.wait_for()
        stored = ok(
            sw.w.client.get(f"/api/v1/episodes/{episode_id}/labels", headers=auth(sw.w.admin))
        )
        assert [(r["label"], r["created_by"]) for r in stored] == [("browser-check", username)]

        chip.locator("button").click()
        page.locator("#labels", has_text="No labels.").wait_for()
        stored = ok(
            sw.w.client.get(f"/api/v1/episodes/{episode_id}/labels", headers=auth(sw.w.admin))
        )
        assert stored == []
