"""Inspection at scale in a real headless Chromium: a rejection names a time range and a
topic on the episode page, which draws it on the recording's timeline (a bad range is
refused with the reason); the inspection page filters the queue, marks spot checks,
previews a bulk decision, refuses a set that changed and decides exactly the new one, and
shows the spot-check agreement per robot type."""

from __future__ import annotations

from typing import Any

from tests.api.world import World, auth, ok
from tests.dashboard.pages import login, open_page, person
from tests.inspection.helpers import approved, episode, flagged, inspect, spot_share


def test_an_inspector_names_a_time_range_and_the_episode_page_draws_it(
    browser: Any, live_api: str, world: World, s3: Any
) -> None:
    w = world
    w.order(target=2)
    episode_id = flagged(w, s3)
    username, password = person(w, "inspector")
    with open_page(browser, live_api, allow=(422,)) as page:
        page.goto(f"/dashboard/episodes/{episode_id}")
        login(page, username, password)
        page.locator("#annotations").wait_for()
        assert "No time ranges" in page.locator("#annotations").inner_text()
        page.locator("button.reject[type=button]").click()
        form = page.locator("form.reject-form")
        form.locator("textarea[name=reason]").fill("left camera occluded")
        form.locator("button[name=add-range]").click()
        row = form.locator(".annotation-row").first
        row.locator("[name=start_s]").fill("12")
        row.locator("[name=end_s]").fill("45")  # past the 30 s recording
        row.locator("[name=topic]").fill("/camera_left")
        row.locator("[name=note]").fill("occluded")
        form.locator("button[type=submit]").click()
        form.locator("p.error", has_text="past the recording's end").wait_for()
        assert episode(w, episode_id)["status"] == "needs_inspection"

        row.locator("[name=end_s]").fill("14.5")
        form.locator("button[type=submit]").click()
        page.locator("#status", has_text="rejected").wait_for()
        lane = page.locator("#annotations .lane[data-topic='/camera_left']")
        lane.wait_for()
        block = lane.locator(".range")
        assert block.count() == 1
        assert block.get_attribute("title") == "12.0 s–14.5 s, /camera_left: occluded"
        # On the timeline: 12 s of a 30 s recording is 40 % from the left, 2.5 s is 8.33 % wide.
        left = block.evaluate("b => b.style.left")
        width = block.evaluate("b => parseFloat(b.style.width)")
        assert left == "40%" and abs(width - 8.333) < 0.01
        assert "30.0 s" in page.locator("#annotations .scale").inner_text()
    (stored,) = episode(w, episode_id)["annotations"]
    assert (stored["start_s"], stored["end_s"], stored["topic"]) == (12.0, 14.5, "/camera_left")


def test_the_inspection_page_previews_and_applies_a_bulk_decision(
    browser: Any, live_api: str, world: World, s3: Any
) -> None:
    w = world
    w.order(target=10)
    here = [flagged(w, s3, 0), flagged(w, s3, 0)]
    elsewhere = flagged(w, s3, 1)
    spot_share(w, 1.0)
    spot = approved(w, s3, 1)
    username, password = person(w, "inspector")
    with open_page(browser, live_api, allow=(409,)) as page:
        page.goto("/dashboard/inspection")
        login(page, username, password)
        page.locator(f"#queue li[data-episode='{spot}'] .badge.spot").wait_for()
        assert page.locator("#queue-count").inner_text() == "4"

        filters = page.locator("#bulk-filters")
        station = w.workstations[0]["id"]
        page.locator(
            f"#bulk-filters select[name=workstation_id] option[value='{station}']"
        ).wait_for(state="attached")
        filters.locator("select[name=workstation_id]").select_option(station)
        filters.locator("input[name=failed_check]").fill("gaps")
        filters.locator("button[type=submit]").click()
        page.locator(f"#queue li[data-episode='{elsewhere}']").wait_for(state="detached")
        assert page.locator("#queue-count").inner_text() == "2"

        page.locator("#bulk-preview-button").click()
        page.locator("#bulk-count", has_text="2 episodes").wait_for()
        assert sorted(page.locator("#bulk-ids div").all_inner_texts()) == sorted(here)

        arrived = flagged(w, s3, 0)  # lands between the preview and the confirm
        page.locator("select[name=decision]").select_option("reject")
        page.locator("textarea[name=bulk-reason]").fill("gaps from the old driver")
        page.locator("#bulk-confirm").click()
        page.locator("#bulk-changed", has_text="3 episodes now").wait_for()
        assert {episode(w, e)["status"] for e in here} == {"needs_inspection"}

        page.locator("select[name=decision]").select_option("reject")
        page.locator("textarea[name=bulk-reason]").fill("gaps from the old driver")
        page.locator("#bulk-confirm").click()
        page.locator("#bulk-done", has_text="Decided 3 episodes").wait_for()
        page.locator("#queue-count", has_text="0").wait_for()

        # The spot check: decided from the queue, then the agreement table counts it.
        filters.locator("select[name=workstation_id]").select_option("")
        filters.locator("input[name=failed_check]").fill("")
        filters.locator("select[name=kind]").select_option("spot_check")
        filters.locator("button[type=submit]").click()
        page.locator(f"#detail .decide[data-episode='{spot}']").wait_for()
        assert "held from sync" in page.locator("#detail .spot-note").inner_text()
        page.locator("#detail button.approve").click()
        page.locator(f"#queue li[data-episode='{spot}']").wait_for(state="detached")
        page.reload()
        row = page.locator(f"#spot-agreement tr[data-robot-type='{w.robot_type_id}']")
        row.locator(".agreement", has_text="100.0 %").wait_for()
    for episode_id in [*here, arrived]:
        detail = episode(w, episode_id)
        assert detail["status"] == "rejected"
        assert detail["decisions"][0]["reason"] == "gaps from the old driver"
    assert episode(w, elsewhere)["status"] == "needs_inspection"
    assert episode(w, spot)["status"] == "auto_approved"
    rates = ok(w.client.get("/api/v1/inspection/spot-checks", headers=auth(w.admin)))
    assert [
        r["spot_check_agreement_rate"] for r in rates if r["robot_type_id"] == w.robot_type_id
    ] == [1.0]
    assert inspect(w, w.admin, spot, "approve").status_code == 409  # decided once
