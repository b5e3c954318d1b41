"""Production statistics on the real MariaDB: the numbers equal what the seeded data implies
(see seed.seed_production's table), against the previous period, scoped to the caller."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from keystone_api.ids import new_id
from keystone_api.stats.export import BREAKDOWN_COLUMNS, TREND_COLUMNS
from tests.api.flows import robot_token
from tests.api.world import World, auth, ok, tool_token
from tests.dashboard.seed import Production, display_token

NOW_EPISODES = ("perfect", "gappy", "pending", "blurry", "bad")


def get(w: World, path: str, token: str | None = None, status: int = 200, **params: Any) -> Any:
    response = w.client.get(f"/api/v1/stats/{path}", params=params, headers=auth(token or w.admin))
    return ok(response, status)


def _sum(p: Production, names: tuple[str, ...], key: str) -> float:
    return sum(p.episodes[n][key] or 0 for n in names)


def test_summary_counts_rates_and_the_previous_period(
    seeded_world: World, production: Production
) -> None:
    w, p = seeded_world, production
    body = get(w, "summary", factory_id=w.factory_id)
    cur, prev, change, live = body["current"], body["previous"], body["change"], body["live"]
    period = [datetime.fromisoformat(body["period"][k]) for k in ("start", "end")]
    assert period[1] - period[0] == timedelta(hours=24)
    assert body["previous_period"]["end"] == body["period"]["start"]

    assert cur["episodes"] == 5
    assert cur["hours_recorded"] == pytest.approx(_sum(p, NOW_EPISODES, "duration_s") / 3600, 1e-3)
    assert cur["bytes"] == _sum(p, NOW_EPISODES, "mcap_size_bytes")
    statuses = ("pending_qa", "auto_approved", "needs_inspection", "inspector_approved", "rejected")
    assert [cur[s] for s in statuses] == [1, 2, 1, 0, 1]
    assert (cur["approved"], cur["qa_passed"], cur["synced"]) == (2, 1, 1)
    assert cur["qa_pass_rate"] == 0.25  # 1 of 4 assessed passed every check
    assert cur["auto_approval_rate"] == 0.5
    assert cur["sync_rate"] == 0.5
    assert cur["avg_qa_score"] == pytest.approx((1.0 + 0.95 + 0.5 + 0.4) / 4, abs=1e-4)
    assert (cur["tasks_completed"], cur["tasks_failed"]) == (5, 1)
    assert cur["upload_success_rate"] == pytest.approx(5 / 6, abs=1e-4)
    # A pace is not a period's figure: the last 60 minutes, in live (stats/rates.py).
    assert "tasks_per_hour" not in cur and "tasks_per_hour" not in change
    assert cur["sync_latency_avg_s"] == cur["sync_latency_p95_s"] == pytest.approx(30, abs=0.01)

    assert (prev["episodes"], prev["auto_approved"], prev["qa_pass_rate"]) == (1, 1, 1.0)
    assert (prev["tasks_completed"], prev["sync_rate"]) == (1, 0.0)
    assert prev["sync_latency_avg_s"] is None
    assert change["episodes"] == 4.0  # (5 - 1) / 1
    assert change["qa_pass_rate"] == -0.75
    assert change["auto_approval_rate"] == -0.5

    assert live["inspection_queue_depth"] == 1
    assert live["sync_queue_depth"] == 2  # gappy and old are queued; perfect is synced
    assert live["upload_queue_depth"] == 1
    assert live["tasks_per_hour"] == 5  # landed in the last 60 minutes ("old": 36 h ago)
    assert live["robots_total"] == 2
    robots = [
        ok(w.client.get(f"/api/v1/robots/{r['id']}", headers=auth(w.admin))) for r in w.robots
    ]
    assert live["robots_online"] == sum(bool(r.get("online")) for r in robots)


def test_trend_buckets_sum_to_the_period_and_land_where_they_should(
    seeded_world: World, production: Production
) -> None:
    w, p = seeded_world, production
    old = ok(w.client.get(f"/api/v1/episodes/{p.episodes['old']['id']}", headers=auth(w.admin)))
    top = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = top - timedelta(hours=48)
    body = get(
        w,
        "trend",
        factory_id=w.factory_id,
        granularity="hour",
        start=start.isoformat(),
        end=top.isoformat(),
    )
    items = body["items"]
    assert len(items) == 48 and items[0]["start"].startswith(start.strftime("%Y-%m-%dT%H:00"))
    assert sum(i["episodes"] for i in items) == 6
    assert sum(i["tasks_completed"] for i in items) == 6
    assert sum(i["tasks_failed"] for i in items) == 1
    landed = datetime.fromisoformat(old["landed_at"]).replace(minute=0, second=0, microsecond=0)
    (bucket,) = [i for i in items if datetime.fromisoformat(i["start"]) == landed]
    assert (bucket["episodes"], bucket["auto_approved"], bucket["qa_pass_rate"]) == (1, 1, 1.0)

    for granularity in ("day", "week", "month"):
        rolled = get(
            w,
            "trend",
            factory_id=w.factory_id,
            granularity=granularity,
            start=(top - timedelta(days=3)).isoformat(),
            end=top.isoformat(),
        )["items"]
        assert sum(i["episodes"] for i in rolled) == 6, granularity
        assert sum(i["rejected"] for i in rolled) == 1, granularity


def test_trend_days_start_at_the_viewers_midnight(
    seeded_world: World, production: Production
) -> None:
    items = get(
        seeded_world,
        "trend",
        factory_id=seeded_world.factory_id,
        granularity="day",
        tz_offset_minutes=330,
    )["items"]
    starts = [datetime.fromisoformat(i["start"]) for i in items]
    assert all((s.hour, s.minute) == (18, 30) for s in starts)  # 00:00 at UTC+05:30
    assert sum(i["episodes"] for i in items) == 5


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("qa_status", {"auto_approved": 2, "needs_inspection": 1, "rejected": 1, "pending_qa": 1}),
        ("sync_state", {"synced": 1, "queued": 1, "not_queued": 3}),
        ("collector", {"Collector 0": 3, "Collector 1": 2}),
        ("workstation", {"WS-00": 3, "WS-01": 2}),
        ("robot", {"r0": 3, "r1": 2}),
        ("robot_type", {None: 5}),
        ("scene", {"Kitchen": 5}),
        ("sop", {"Fold v1": 5}),
    ],
)
def test_breakdown_by_dimension(
    seeded_world: World, production: Production, dimension: str, expected: dict[Any, int]
) -> None:
    body = get(seeded_world, "breakdown", factory_id=seeded_world.factory_id, dimension=dimension)
    got = {i["name"]: i["episodes"] for i in body["items"]}
    if None in expected:  # a single group whose name is the world's robot type
        assert list(got.values()) == [expected[None]] and body["total"] == 1
    else:
        assert got == expected and body["total"] == len(expected)
    items = body["items"]
    assert [i["episodes"] for i in items] == sorted((i["episodes"] for i in items), reverse=True)


def test_breakdown_pages_and_counts_per_group(seeded_world: World, production: Production) -> None:
    body = get(
        seeded_world,
        "breakdown",
        factory_id=seeded_world.factory_id,
        dimension="workstation",
        limit=1,
    )
    assert body["total"] == 2 and len(body["items"]) == 1
    ws0 = body["items"][0]
    assert (ws0["name"], ws0["auto_approved"], ws0["pending_qa"], ws0["qa_pass_rate"]) == (
        "WS-00",
        2,
        1,
        0.5,
    )
    second = get(
        seeded_world,
        "breakdown",
        factory_id=seeded_world.factory_id,
        dimension="workstation",
        offset=1,
    )["items"]
    assert [(i["name"], i["rejected"], i["needs_inspection"]) for i in second] == [("WS-01", 1, 1)]


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_exports_have_the_json_columns(seeded_world: World, production: Production) -> None:
    w = seeded_world
    response = w.client.get(
        "/api/v1/stats/breakdown.csv",
        params={"factory_id": w.factory_id, "dimension": "qa_status"},
        headers=auth(w.admin),
    )
    rows = _csv(response)
    assert response.text.splitlines()[0].split(",") == BREAKDOWN_COLUMNS
    assert {r["key"]: int(r["episodes"]) for r in rows} == {
        "auto_approved": 2,
        "needs_inspection": 1,
        "rejected": 1,
        "pending_qa": 1,
    }
    response = w.client.get(
        "/api/v1/stats/trend.csv",
        params={"factory_id": w.factory_id, "granularity": "day"},
        headers=auth(w.admin),
    )
    rows = _csv(response)
    assert response.text.splitlines()[0].split(",") == TREND_COLUMNS
    assert 1 <= len(rows) <= 2 and sum(int(r["episodes"]) for r in rows) == 5


def test_order_progress_and_workstation_quality(
    seeded_world: World, production: Production
) -> None:
    w, p = seeded_world, production
    orders = get(w, "orders", factory_id=w.factory_id)["items"]
    (order,) = [o for o in orders if o["order_id"] == p.order["id"]]
    assert order["target_episodes"] == 20
    assert (order["collected"], order["approved"], order["rejected"]) == (6, 3, 1)
    assert (order["needs_inspection"], order["pending_qa"], order["remaining"]) == (1, 1, 17)
    assert order["percent_complete"] == 15.0

    stations = get(w, "workstations", factory_id=w.factory_id)
    assert stations["total"] == 2
    by_name = {s["name"]: s for s in stations["items"]}
    assert by_name["WS-00"]["episodes"] == 3 and by_name["WS-01"]["episodes"] == 2
    assert by_name["WS-00"]["robot_name"] == "r0"
    assert by_name["WS-01"]["qa_pass_rate"] == 0.0 and by_name["WS-01"]["rejected"] == 1


def test_a_factory_bound_caller_sees_only_its_factory(
    seeded_world: World, production: Production
) -> None:
    w = seeded_world
    mine = get(w, "summary", display_token(w))
    assert mine["current"]["episodes"] == 5  # a display token reads its factory
    assert get(w, "summary", tool_token("operator", w.factory_id))["current"]["episodes"] == 5
    other = tool_token("operator", new_id())
    assert get(w, "summary", other)["current"]["episodes"] == 0
    assert get(w, "summary", other)["live"]["robots_total"] == 0
    # Asking for another factory by filter never widens what a bound caller sees.
    asked = get(w, "summary", display_token(w, new_id()), factory_id=w.factory_id)
    assert asked["current"]["episodes"] == 0
    assert get(w, "orders", other)["total"] == 0
    assert get(w, "workstations", other)["total"] == 0


def test_a_collector_sees_only_its_own_numbers(seeded_world: World, production: Production) -> None:
    w = seeded_world
    token = w.login(w.collectors[0]["username"])
    cur = get(w, "summary", token)["current"]
    assert (cur["episodes"], cur["auto_approved"], cur["pending_qa"]) == (3, 2, 1)
    assert (cur["tasks_completed"], cur["tasks_failed"]) == (3, 1)
    groups = get(w, "breakdown", token, dimension="collector")["items"]
    assert [(g["name"], g["episodes"]) for g in groups] == [("Collector 0", 3)]
    other = w.collectors[1]["id"]
    assert get(w, "summary", token, data_collector_id=other)["current"]["episodes"] == 0
    stations = get(w, "workstations", token)["items"]
    assert {s["name"] for s in stations} <= {"WS-00"}


@pytest.mark.parametrize("role", ["robot", "service"])
def test_robots_and_services_may_not_read_statistics(seeded_world: World, role: str) -> None:
    w = seeded_world
    # A robot is its device token (no minted token claims the robot role).
    token = robot_token(w.robots[0]["id"]) if role == "robot" else tool_token(role, w.factory_id)
    get(w, "summary", token, status=403)


def test_no_token_is_401(seeded_world: World) -> None:
    assert seeded_world.client.get("/api/v1/stats/summary").status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"start": "2024-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"start": "2026-01-01T00:00:00"},  # no time zone
        {"end": "0001-01-01T00:01:01Z"},  # its default start overflowed: was a 500
        {"granularity": "hour", "start": "2026-01-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"},
        {"colour": "blue"},
    ],
)
def test_bad_periods_and_unknown_parameters_are_422(
    seeded_world: World, params: dict[str, str]
) -> None:
    get(seeded_world, "trend", status=422, **params)
