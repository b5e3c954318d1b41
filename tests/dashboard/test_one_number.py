"""One number for each rate (issue 18): the dashboard, the floor display, the statistics API
and /metrics report the same tasks per hour for the same data, and each page shows what a
rate means beside it. Tasks per hour had been a 24-hour average on the dashboard, an
average since midnight on the display and the last hour on /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from keystone_api.stats.rates import DEFINITIONS
from tests.api import flows
from tests.api.world import World, auth, ok
from tests.dashboard.pages import login, midday_zone, open_page, person
from tests.dashboard.seed import Production, display_token, move_landing
from tests.support.settings_env import settings_env


def kpi(page: Any, key: str) -> str:
    card = page.locator(f"#main[aria-busy=false] [data-kpi={key}]")
    card.locator(".def").wait_for()  # drawn with its definitions
    return str(card.locator(".v").inner_text())


def scraped_tasks_per_hour(w: World) -> float:
    with settings_env(metrics_min_interval_s="0"):  # a fresh reading, not a kept one
        text = w.client.get("/metrics", headers=auth(w.admin)).text
    for family in text_string_to_metric_families(text):
        if family.name == "keystone_tasks_per_hour":
            for sample in family.samples:
                if sample.labels["factory"] == w.factory_id:
                    return float(sample.value)
    raise AssertionError("no keystone_tasks_per_hour for the factory")


def test_dashboard_display_stats_api_and_metrics_report_the_same_tasks_per_hour(
    browser: Any, live_api: str, world: World, s3: Any
) -> None:
    w = world
    w.order(target=10)
    episodes = [flows.record_one(w, s3, i % 2) for i in range(4)]
    now = datetime.now(UTC)
    # Two landed just now; one 70 minutes ago, one 3 hours ago: inside the dashboard's
    # 24 hours and the display's today (a midday zone), outside the last 60 minutes.
    move_landing(episodes[2]["id"], now - timedelta(minutes=70))
    move_landing(episodes[3]["id"], now - timedelta(hours=3))
    expected = 2

    # The statistics API, for the dashboard's period and for the display's.
    summary = ok(
        w.client.get(
            "/api/v1/stats/summary", headers=auth(w.admin), params={"factory_id": w.factory_id}
        )
    )
    assert summary["live"]["tasks_per_hour"] == expected
    assert summary["current"]["tasks_completed"] == 4  # the period's count is another figure
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = ok(
        w.client.get(
            "/api/v1/stats/summary",
            headers=auth(w.admin),
            params={"factory_id": w.factory_id, "start": midnight.isoformat()},
        )
    )
    assert today["live"]["tasks_per_hour"] == expected
    assert scraped_tasks_per_hour(w) == expected

    username, password = person(w, "operator")
    with open_page(browser, live_api) as page:
        page.goto("/dashboard")
        login(page, username, password)
        assert kpi(page, "tasks_per_hour") == str(expected)
        page.select_option("#period", "7d")  # another period: the same pace
        page.locator(
            "#main[aria-busy=false] [data-kpi=qa_pass_rate] .def", has_text="last 7 days"
        ).wait_for()
        assert kpi(page, "tasks_per_hour") == str(expected)
    with open_page(browser, live_api, timezone_id=midday_zone()) as page:
        page.goto(f"/dashboard/display#token={display_token(w)}")
        assert kpi(page, "tasks_per_hour") == str(expected)


def test_each_rate_shows_its_definition_and_window_on_screen(
    browser: Any, live_api: str, seeded_world: World, production: Production
) -> None:
    w = seeded_world
    username, password = person(w, "operator")
    with open_page(browser, live_api) as page:
        page.goto("/dashboard")
        login(page, username, password)
        page.locator("#main[aria-busy=false] [data-kpi=tasks_per_hour] .def").wait_for()
        captions = {
            "tasks_per_hour": "last 60 min",
            "qa_pass_rate": "last 24 h",
            "auto_approval_rate": "last 24 h",
            "upload_success_rate": "last 24 h",
            "sync_rate": "last 24 h",
        }
        for key, window in captions.items():
            card = page.locator(f"[data-kpi={key}]")
            d = DEFINITIONS[key]
            assert card.get_attribute("title") == f"{d.label}: {d.definition}"
            assert card.locator(".def").inner_text() == window
            assert card.locator(".k").inner_text().lower() == d.label.lower()
        # The tables' and the chart's rates carry their definitions too.
        header = page.locator("#table-stations th[data-rate=qa_pass_rate]")
        assert DEFINITIONS["qa_pass_rate"].definition in str(header.get_attribute("title"))
        legend = page.locator("#chart-rates .legend [data-rate=upload_success_rate]")
        assert DEFINITIONS["upload_success_rate"].definition in str(legend.get_attribute("title"))

    with open_page(browser, live_api, timezone_id=midday_zone()) as page:
        page.goto(f"/dashboard/display#token={display_token(w)}")
        card = page.locator("#main[aria-busy=false] [data-kpi=qa_pass_rate]")
        card.locator(".def").wait_for()
        assert card.locator(".def").inner_text() == "today"
        assert page.locator("[data-kpi=tasks_per_hour] .def").inner_text() == "last 60 min"
        assert DEFINITIONS["qa_pass_rate"].definition in str(card.get_attribute("title"))


def test_metrics_help_is_each_rates_definition(seeded_world: World) -> None:
    w = seeded_world
    with settings_env(metrics_min_interval_s="0"):
        text = w.client.get("/metrics", headers=auth(w.admin)).text
    helps = {f.name: f.documentation for f in text_string_to_metric_families(text)}
    window = "the last 60 minutes"
    assert helps["keystone_tasks_per_hour"] == DEFINITIONS["tasks_per_hour"].definition
    for metric, rate in (
        ("keystone_qa_pass_ratio", "qa_pass_rate"),
        ("keystone_qa_auto_approval_ratio", "auto_approval_rate"),
        ("keystone_upload_success_ratio", "upload_success_rate"),
    ):
        assert helps[metric] == DEFINITIONS[rate].definition.replace("the period", window)
        assert window in helps[metric]
