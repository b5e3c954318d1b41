"""The operator dashboard and the floor display in a real headless Chromium, on the seeded
factory (see seed.seed_production) served by the live API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api import flows
from tests.api.world import World, auth, ok, tool_token
from tests.dashboard.pages import login, midday_zone, open_page, person
from tests.dashboard.seed import Production, display_token


def kpi(page: Any, key: str) -> str:
    return str(page.locator(f"[data-kpi={key}] .v").inner_text())


def test_dashboard_renders_numbers_and_charts(
    browser: Any, live_api: str, seeded_world: World, production: Production
) -> None:
    username, password = person(seeded_world, "operator")
    with open_page(browser, live_api) as page:
        page.goto("/dashboard")
        login(page, username, password)
        page.locator("#main[aria-busy=false] [data-kpi=episodes]").wait_for()
        assert kpi(page, "episodes") == "5"
        assert kpi(page, "qa_pass_rate") == "25.0 %"
        assert kpi(page, "auto_approval_rate") == "50.0 %"
        assert kpi(page, "upload_success_rate") == "83.3 %"
        assert kpi(page, "inspection_queue") == "1"
        assert kpi(page, "sync_queue") == "2"
        assert "▲ +400 %" in page.locator("[data-kpi=episodes] .d").inner_text()
        # Charts, not just numbers: every chart drew its marks.
        episodes = page.locator("svg[data-chart=episodes] rect.bar")
        assert episodes.count() >= 4  # the 4 QA outcomes of the last hours, at least
        assert page.locator("svg[data-chart=rates] path.line").count() == 4
        assert page.locator("svg[data-chart=tasks] rect.bar").count() >= 1
        assert page.locator("svg[data-chart=robots-online]").count() == 1
        order = production.order["name"]
        assert order in str(page.locator("svg[data-chart=orders]").text_content())
        assert page.locator("svg[data-chart=orders] rect.bar").count() >= 3
        assert page.locator("svg[data-chart=stations] rect.bar").count() >= 3
        stations = page.locator("#table-stations tbody tr")
        assert stations.count() == 2 and "WS-00" in stations.first.inner_text()
        assert page.locator("#table-breakdown tbody tr").count() == 2  # robots r0 and r1

        page.select_option("#dimension", "qa_status")
        page.locator("#table-breakdown tbody tr:nth-child(4)").wait_for()
        assert "rejected" in page.locator("#table-breakdown").inner_text()
        with page.expect_download() as download:
            page.click("#csv-breakdown")
        path = download.value.path()
        header = Path(path).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header[:3] == ["key", "name", "episodes"]

        page.select_option("#period", "7d")  # daily buckets now
        page.locator("#tasks-title", has_text="per day").wait_for()
        assert kpi(page, "episodes") == "6"  # the 36-hour-old episode joins


def test_display_renders_with_a_display_token_and_refreshes_itself(
    browser: Any, live_api: str, world: World, s3: Any
) -> None:
    w = world
    w.order(target=5, name="Floor order")
    flows.record_one(w, s3, 0)
    token = display_token(w)
    with open_page(browser, live_api, timezone_id=midday_zone()) as page:
        sent: list[Any] = []
        page.on("request", lambda request: sent.append(request))
        page.goto(f"/dashboard/display?refresh=5#token={token}")
        page.locator("#main[aria-busy=false]").wait_for()
        assert "token" not in page.url  # taken off the address bar
        # No request line (what access logs and proxies keep) carries the token: the page
        # is fetched without its fragment, the API calls send it as a header.
        assert sent and not [r.url for r in sent if token in r.url]
        api_calls = [r for r in sent if "/api/v1/" in r.url]
        assert api_calls and all(
            r.headers.get("authorization") == f"Bearer {token}" for r in api_calls
        )
        assert kpi(page, "episodes") == "1"
        assert page.locator("svg[data-chart=episodes] rect.bar").count() == 1
        assert "Floor order" in str(page.locator("svg[data-chart=orders]").text_content())
        assert page.locator("#stations .station").count() == 2
        flows.record_one(w, s3, 1)  # the screen picks it up on its next refresh
        page.locator("[data-kpi=episodes] .v", has_text="2").wait_for()
    summary = ok(w.client.get("/api/v1/stats/summary", headers=auth(token)))
    assert summary["current"]["episodes"] == 2


def test_display_refuses_without_a_display_token(
    browser: Any, live_api: str, seeded_world: World
) -> None:
    w = seeded_world
    cases = [
        ("/dashboard/display", "needs a display token"),
        ("/dashboard/display#token=not-a-token", "refused"),
        (f"/dashboard/display#token={tool_token('operator', w.factory_id)}", "display token"),
    ]
    for url, text in cases:
        with open_page(browser, live_api) as page:  # each a new browser, storage empty
            page.goto(url)
            page.locator("#refused", has_text=text).wait_for()
            assert page.locator("svg.chart").count() == 0
    # A token in the query string (it would be in every access log) is refused.
    response = w.client.get(f"/dashboard/display?token={display_token(w)}")
    assert response.status_code == 400 and "after &#x27;#&#x27;" in response.text
    # The API itself refuses the display screen's calls without its token.
    assert w.client.get("/api/v1/stats/summary").status_code == 401


def test_the_display_token_is_read_only(seeded_world: World, production: Production) -> None:
    w, token = seeded_world, display_token(seeded_world)
    episode = production.episodes["blurry"]["id"]
    decide = w.client.post(
        f"/api/v1/episodes/{episode}/inspection", json={"decision": "approve"}, headers=auth(token)
    )
    assert decide.status_code == 403
    assert w.client.get("/api/v1/episodes", headers=auth(token)).status_code == 403
