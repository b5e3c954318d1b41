"""The dashboard's alerts panel in a real headless Chromium, on real alerts: a firing
threshold alert and an unresolved operator event show; an operator resolves the event from
the panel (an inspector may only read it); a QA failure rate that the dev fleet simulator
causes on purpose says so."""

from __future__ import annotations

from typing import Any

from keystone_api.alerts.events import record_event
from keystone_api.db.engine import get_sessionmaker
from keystone_api.ids import new_id
from tests.alerts import seed
from tests.api.world import World, auth, ok, tool_token
from tests.dashboard.pages import login, open_page, person
from tests.support.settings_env import settings_env

DAGSTER = "http://127.0.0.1:3999"  # only the links are checked


def failed_run(title: str, run_id: str = "") -> str:
    """An operator event as the Dagster run-failure sensor records it: its id."""
    with get_sessionmaker().begin() as session:
        event = record_event(
            session,
            "pipeline_run_failed",
            "warning",
            title,
            "Step episode_qa failed: the object store did not answer",
            run_id=run_id or new_id(),
            job_name="episode_qa_job",
        )
        session.flush()
        return event.id


def open_dashboard(page: Any, username: str, password: str) -> Any:
    page.goto("/dashboard")
    login(page, username, password)
    page.locator("#alerts-panel[aria-busy=false] #alerts-count .badge").wait_for()
    return page.locator("#alerts-panel")


def test_an_operator_sees_a_firing_alert_and_an_event_and_resolves_the_event(
    browser: Any, live_api: str, world: World
) -> None:
    w = world
    robot = w.robots[0]
    seed.daemon_reports(robot["id"], pending=6)  # over the specification's 5 files
    title = f"Dagster run of episode_qa_job failed ({new_id()[-6:]})"
    run_id = new_id()
    event_id = failed_run(title, run_id)
    username, password = person(w, "operator")
    with settings_env(dagster_url=DAGSTER), open_page(browser, live_api) as page:
        panel = open_dashboard(page, username, password)
        queue = panel.locator("#alerts-list [data-alert=UploadQueueHigh]")
        assert "warning" in queue.locator(".badge").inner_text()
        assert robot["device_id"] in queue.inner_text()
        assert "6 files now · fires above 5 files" in queue.inner_text()
        # The three quiet alerts of the factory are listed as such.
        quiet = panel.locator("#alerts-ok [data-alert]")
        assert sorted(quiet.evaluate_all("els => els.map(e => e.dataset.alert)")) == [
            "NoUploads",
            "QaFailureRateHigh",
            "SyncQueueHigh",
        ]
        assert "firing" in panel.locator("#alerts-count").inner_text()

        event = panel.locator(f"#alerts-list [data-event='{event_id}']")
        assert title in event.inner_text()
        assert "object store did not answer" in event.inner_text()
        # The failed run in Dagster, where its logs and Re-execute are.
        link = event.locator("a.run-link")
        assert link.get_attribute("href") == f"{DAGSTER}/runs/{run_id}"
        event.locator("button.resolve").click()
        event.locator("input[name=note]").fill("re-ran the hour in Dagster")
        event.locator("button[type=submit]").click()
        event.wait_for(state="detached")  # gone from the panel once resolved
        assert queue.count() == 1  # the threshold alert stays: its cause is still there

    events = ok(
        w.client.get(
            "/api/v1/alerts/events",
            params={"include_resolved": "true", "limit": 500},
            headers=auth(tool_token("operator", w.factory_id)),
        )
    )
    resolved = next(e for e in events if e["id"] == event_id)
    assert resolved["resolved_at"] is not None
    assert resolved["data"]["resolution_note"] == "re-ran the hour in Dagster"
    assert resolved["data"]["resolved_by"].startswith("user:")


def test_an_inspector_reads_events_but_only_operators_resolve_them(
    browser: Any, live_api: str, world: World
) -> None:
    event_id = failed_run(f"Dagster run of cloud_sync_job failed ({new_id()[-6:]})")
    username, password = person(world, "inspector")
    with open_page(browser, live_api) as page:
        panel = open_dashboard(page, username, password)
        event = panel.locator(f"#alerts-list [data-event='{event_id}']")
        assert "an operator or admin resolves it" in event.inner_text()
        assert event.locator("button.resolve").count() == 0
        assert event.locator("a.run-link").count() == 0  # no Dagster URL configured
    # The API agrees: an inspector's resolve is refused.
    token = tool_token("inspector", world.factory_id)
    refused = world.client.post(f"/api/v1/alerts/events/{event_id}/resolve", headers=auth(token))
    assert refused.status_code == 403


def test_a_qa_failure_rate_the_simulator_causes_says_so(
    browser: Any, live_api: str, world: World, s3: Any
) -> None:
    w = world
    w.order(target=100)
    seed.assessed(w, s3, passed=17, failed=3)  # 15 % of 20 failed: over the 10 % threshold
    username, password = person(w, "operator")
    with settings_env(simulated_defect_rate="0.2"), open_page(browser, live_api) as page:
        panel = open_dashboard(page, username, password)
        qa = panel.locator("#alerts-list [data-alert=QaFailureRateHigh]")
        assert qa.get_attribute("data-simulated") == "true"
        assert qa.locator(".badge").inner_text() == "simulated"
        assert "fleet simulator" in qa.inner_text() and "20 %" in qa.inner_text()
        assert "not a fault" in qa.inner_text()
        assert "1 simulated" in panel.locator("#alerts-count").inner_text()
    # Without the simulator, the same rate is a warning like any other.
    alerts = ok(w.client.get("/api/v1/alerts", headers=auth(tool_token("operator", w.factory_id))))
    qa_alert = next(a for a in alerts["items"] if a["name"] == "QaFailureRateHigh")
    assert (qa_alert["state"], qa_alert["simulated"]) == ("firing", False)
    assert "simulator" not in qa_alert["description"]
