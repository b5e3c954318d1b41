"""/metrics: Prometheus text that parses, whose values are what the seeded data implies and
what the statistics API says, read from MySQL (so any worker process reports the same).
Scraped as Prometheus does, with the scrape token; who else may scrape, and how often the
database is read, are tests/metrics'."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from keystone_api.metrics.collector import metric_names
from tests.alerts import seed
from tests.api.world import World, auth, ok
from tests.dashboard.seed import seed_production
from tests.support.settings_env import new_scrape_token, settings_env

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(autouse=True)
def token() -> Iterator[str]:
    """The scrape token, and no interval: each scrape reads what the test just seeded."""
    token = new_scrape_token()
    with settings_env(metrics_token=token, metrics_min_interval_s="0"):
        yield token


def scrape(client: httpx.Client, token: str) -> tuple[set[str], Samples]:
    response = client.get("/metrics", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = list(text_string_to_metric_families(response.text))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples
    }
    return {f.name for f in families}, samples


def of_factory(samples: Samples, factory_id: str) -> dict[str, Any]:
    """name -> value, or name -> {other labels: value} for the factory's labelled series."""
    out: dict[str, Any] = {}
    for (name, labels), value in samples.items():
        rest = tuple((k, v) for k, v in labels if k != "factory")
        if ("factory", factory_id) not in labels:
            continue
        if rest:
            out.setdefault(name, {})[rest] = value
        else:
            out[name] = value
    return out


def test_metrics_values_match_the_seeded_factory(world: World, s3: Any, token: str) -> None:
    w = world
    production = seed_production(w, s3)
    seed.daemon_reports(w.robots[0]["id"], pending=3, uploading=1, retry_wait=1)
    names, samples = scrape(w.client, token)
    assert names == metric_names()
    m = of_factory(samples, w.factory_id)

    # Landed in the last hour: perfect, gappy (auto-approved), pending, blurry (flagged),
    # bad (rejected); "old" landed 36 h ago. Every check passed only for "perfect".
    by_status = {labels[0][1]: v for labels, v in m["keystone_episodes_last_hour"].items()}
    assert by_status == {
        "pending_qa": 1,
        "auto_approved": 2,
        "needs_inspection": 1,
        "inspector_approved": 0,
        "rejected": 1,
    }
    assert m["keystone_qa_assessed_last_hour"] == 4
    assert m["keystone_qa_failed_last_hour"] == 3
    assert m["keystone_qa_pass_ratio"] == 0.25
    assert m["keystone_qa_auto_approval_ratio"] == 0.5
    assert m["keystone_qa_pending_episodes"] == 1
    # Tasks: five landed in the hour, one upload failed, one still uploading.
    assert m["keystone_tasks_per_hour"] == 5
    ended = {labels[0][1]: v for labels, v in m["keystone_tasks_ended_last_hour"].items()}
    assert ended == {"completed": 5, "failed": 1}
    assert m["keystone_upload_success_ratio"] == round(5 / 6, 4)
    assert m["keystone_tasks_uploading"] == 1
    assert m["keystone_recordings_in_flight"] == 1
    assert m["keystone_inspection_queue_depth"] == 1
    # Approved: perfect (synced 30 s after approval), gappy and old (queued).
    assert m["keystone_sync_queue_depth"] == 2
    assert m["keystone_sync_retries"] == 0
    latency = {labels[0][1]: v for labels, v in m["keystone_sync_latency_seconds"].items()}
    assert latency == {"avg": 30.0, "p95": 30.0, "max": 30.0}
    assert m["keystone_orders_active"] == 1
    assert m["keystone_robots"] == 2
    queues = {
        (dict(labels)["device_id"], dict(labels)["source"]): v
        for labels, v in m["keystone_robot_upload_queue_files"].items()
    }
    r0, r1 = (r["device_id"] for r in w.robots)
    # The daemon's pending + uploading + retry_wait (waiting_ack has arrived already);
    # robot 1 never reported, its uploading task counts.
    assert queues == {(r0, "daemon"): 5, (r0, "tasks"): 0, (r1, "tasks"): 1}

    # The statistics API's numbers of the same hour and the same live queues.
    summary = ok(
        w.client.get(
            "/api/v1/stats/summary",
            params={"factory_id": w.factory_id, "start": _hour_ago(), "end": _now()},
            headers={"Authorization": f"Bearer {w.admin}"},
        )
    )
    live = summary["live"]
    assert m["keystone_robots_online"] == live["robots_online"]
    assert m["keystone_sync_queue_depth"] == live["sync_queue_depth"]
    assert m["keystone_inspection_queue_depth"] == live["inspection_queue_depth"]
    stations = {labels[0][1]: v for labels, v in m["keystone_workstations"].items()}
    assert stations == {k: float(v) for k, v in live["workstations"].items()}
    assert summary["current"]["qa_pass_rate"] == m["keystone_qa_pass_ratio"]
    assert production.uploading_task


def _now() -> str:
    from keystone_api.db.base import utcnow

    return utcnow().isoformat()


def _hour_ago() -> str:
    from datetime import timedelta

    from keystone_api.db.base import utcnow

    return (utcnow() - timedelta(hours=1)).isoformat()


def test_every_process_reports_the_same(world: World, s3: Any, live_api: str, token: str) -> None:
    """Two app instances (as two workers would be) scrape to the same factory numbers."""
    from keystone_api.app import create_app
    from tests.support.live import serve_app

    w = world
    w.order(target=50)
    seed.assessed(w, s3, passed=2, failed=1)
    with serve_app(create_app()) as other, httpx.Client(base_url=other, timeout=30) as c:
        _, theirs = scrape(c, token)
    _, ours = scrape(w.client, token)
    mine, other_view = of_factory(ours, w.factory_id), of_factory(theirs, w.factory_id)
    assert mine["keystone_qa_failed_last_hour"] == 1
    assert _timeless(mine) == _timeless(other_view)


def _timeless(values: dict[str, Any]) -> dict[str, Any]:
    """Without the ages (seconds since ...), which move between two scrapes."""
    ages = ("keystone_upload_wait_seconds", "keystone_inspection_oldest_wait_seconds")
    return {k: v for k, v in values.items() if k not in ages}
