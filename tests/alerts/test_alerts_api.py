"""GET /api/v1/alerts on real data: each alert fires above its threshold and not at it,
callers see their own factory, and operators resolve operator events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from keystone_api.accounts.tokens import decode
from keystone_api.alerts.events import record_event
from keystone_api.alerts.service import current_alerts
from keystone_api.db.base import utcnow
from keystone_api.db.engine import get_sessionmaker
from keystone_api.settings import get_settings
from tests.alerts import seed
from tests.alerts.seed import alert, alerts
from tests.api.flows import robot_token
from tests.api.world import World, auth, build_world, ok, tool_token
from tests.dashboard.seed import display_token


def test_upload_queue_fires_above_five_files_on_one_robot(world: World, s3: Any) -> None:
    w = world
    w.order(target=50)
    robot = w.robots[0]
    seed.daemon_reports(robot["id"], pending=4, uploading=1)  # 5: at the limit
    for _ in range(5):
        seed.uploading(w, 1)  # the other robot: 5 tasks waiting for their upload
    a = alert(w, "UploadQueueHigh")
    assert (a["state"], a["value"], a["threshold"], a["subjects"]) == ("ok", 5, 5, [])

    seed.daemon_reports(robot["id"], pending=4, uploading=1, retry_wait=1)
    a = alert(w, "UploadQueueHigh")
    assert (a["state"], a["value"], a["severity"]) == ("firing", 6, "warning")
    assert a["subjects"] == [robot["device_id"]]

    seed.uploading(w, 1)  # tasks count too: the other robot goes over as well
    a = alert(w, "UploadQueueHigh")
    assert sorted(a["subjects"]) == sorted(r["device_id"] for r in w.robots)
    assert a["since"] is not None  # the oldest waiting task


def test_qa_failure_rate_fires_above_ten_percent(world: World, s3: Any) -> None:
    w = world
    w.order(target=200)
    seed.assessed(w, s3, passed=18, failed=2)  # 2 of 20: exactly 10 %
    a = alert(w, "QaFailureRateHigh")
    assert (a["state"], a["value"], a["threshold"]) == ("ok", 0.1, 0.1)
    seed.assessed(w, s3, passed=0, failed=1)  # 3 of 21
    a = alert(w, "QaFailureRateHigh")
    assert (a["state"], a["value"], a["severity"]) == ("firing", round(3 / 21, 4), "warning")
    assert "3 of 21" in a["description"]


def test_no_uploads_is_critical_after_thirty_minutes_of_work_without_a_landing(
    world: World, s3: Any
) -> None:
    w = world
    w.order(target=50)
    seed.landed_ago(w, s3, minutes=90)
    # Nothing under way: a quiet factory (night, break) never pages.
    a = alert(w, "NoUploads")
    assert (a["state"], a["value"], a["since"]) == ("ok", 0, None)

    task = seed.in_progress(w, 0)
    now = utcnow()
    seed.age_task(task, now - timedelta(minutes=30))
    with get_sessionmaker()() as session:
        at_limit = _named(current_alerts(session, w.factory_id, now), "NoUploads")
        over = _named(
            current_alerts(session, w.factory_id, now + timedelta(seconds=1)), "NoUploads"
        )
    assert not at_limit.firing and at_limit.value == 1800
    assert over.firing and over.value == 1801 and over.severity == "critical"

    a = alert(w, "NoUploads")  # through the API, a little later: over the limit
    assert (a["state"], a["severity"]) == ("firing", "critical")
    # A recording lands: the wait starts again from the landing.
    seed.landed_ago(w, s3, minutes=0)
    assert alert(w, "NoUploads")["state"] == "ok"


def test_failed_uploads_keep_the_no_uploads_alert_armed(world: World, s3: Any) -> None:
    """Tasks that fail one after another never land: the wait runs from the first."""
    from tests.dashboard.seed import fail_upload

    w = world
    w.order(target=50)
    seed.landed_ago(w, s3, minutes=120)
    first = seed.uploading(w, 0)
    fail_upload(first)
    seed.age_task(first, utcnow() - timedelta(minutes=31))
    later = seed.uploading(w, 1)
    fail_upload(later)  # failed just now: work is under way
    a = alert(w, "NoUploads")
    assert a["state"] == "firing" and a["value"] > 1800


def test_sync_queue_fires_above_one_hundred_episodes(world: World, s3: Any) -> None:
    w = world
    w.order(target=50)
    (episode,) = seed.assessed(w, s3, passed=1, failed=0)  # auto-approved: queued
    seed.approved_copies(episode, 99)
    a = alert(w, "SyncQueueHigh")
    assert (a["state"], a["value"], a["threshold"]) == ("ok", 100, 100)
    seed.approved_copies(episode, 1)
    a = alert(w, "SyncQueueHigh")
    assert (a["state"], a["value"], a["severity"]) == ("firing", 101, "warning")


def test_callers_see_their_own_factory(world: World, client: httpx.Client) -> None:
    w, other = world, build_world(client, stations=1)
    display = display_token(w)
    mine = alerts(w, display)
    assert {a["factory_id"] for a in mine["items"]} <= {w.factory_id, None}
    assert len([a for a in mine["items"] if a["factory_id"] == w.factory_id]) == 4
    # Another factory's alerts: nothing, as its statistics would be.
    assert alerts(w, display, factory_id=other.factory_id)["items"] == []
    # An unbound admin sees every factory, or the one asked for.
    every = {a["factory_id"] for a in alerts(w)["items"]}
    assert {w.factory_id, other.factory_id} <= every
    only = alerts(w, factory_id=other.factory_id)["items"]
    assert {a["factory_id"] for a in only} <= {other.factory_id, None}
    firing = alerts(w, factory_id=w.factory_id, state="firing")
    assert firing["firing"] == len(firing["items"])
    assert all(a["state"] == "firing" for a in firing["items"])

    unknown = client.get("/api/v1/alerts", params={"factory_id": "nope"}, headers=auth(w.admin))
    assert unknown.status_code == 404
    for role in ("collector", "robot", "service"):
        # A robot is its device token (no minted token claims the robot role).
        robot = role == "robot"
        token = robot_token(w.robots[0]["id"]) if robot else tool_token(role, w.factory_id)
        response = client.get("/api/v1/alerts", headers=auth(token))
        assert response.status_code == 403, role
    assert client.get("/api/v1/alerts").status_code == 401


def test_operators_resolve_operator_events(world: World, client: httpx.Client) -> None:
    w = world
    with get_sessionmaker().begin() as session:
        event = record_event(
            session,
            "pipeline_run_failed",
            "warning",
            "Dagster run of episode_qa_job failed",
            "boom\nstack ...",
            run_id="r1",
        )
        session.flush()
        event_id = event.id
    listed = [a for a in alerts(w, display_token(w))["items"] if a["event_id"] == event_id]
    assert len(listed) == 1
    a = listed[0]
    assert (a["name"], a["state"], a["severity"], a["factory_id"]) == (
        "PipelineRunFailed",
        "firing",
        "warning",
        None,
    )
    assert a["description"] == "Dagster run of episode_qa_job failed: boom"

    path = f"/api/v1/alerts/events/{event_id}/resolve"
    assert client.post(path, headers=auth(tool_token("inspector"))).status_code == 403
    operator = tool_token("operator", w.factory_id)
    resolved = ok(client.post(path, json={"note": "re-ran it"}, headers=auth(operator)))
    assert resolved["resolved_at"] is not None
    # A minted token acts under its id (GET /api/v1/tokens says who minted it, for what).
    assert resolved["data"]["resolved_by"] == f"tool:{decode(get_settings(), operator).jti}"
    assert resolved["data"]["resolution_note"] == "re-ran it"
    assert not [a for a in alerts(w)["items"] if a["event_id"] == event_id]
    again = ok(client.post(path, headers=auth(operator)))  # idempotent: first one kept
    assert again["resolved_at"] == resolved["resolved_at"]
    assert again["data"]["resolution_note"] == "re-ran it"
    events = ok(
        client.get(
            "/api/v1/alerts/events", params={"include_resolved": True}, headers=auth(w.admin)
        )
    )
    assert event_id in {e["id"] for e in events}
    open_ids = {e["id"] for e in ok(client.get("/api/v1/alerts/events", headers=auth(w.admin)))}
    assert event_id not in open_ids
    missing = client.post("/api/v1/alerts/events/nope/resolve", headers=auth(operator))
    assert missing.status_code == 404


def _named(items: list[Any], name: str) -> Any:
    (found,) = [a for a in items if a.name == name]
    return found
