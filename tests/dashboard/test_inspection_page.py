"""The inspection page in a real headless Chromium: the queue lists a flagged episode with
its evidence pictures (real QA output, through presigned links) and failing checks, and an
inspector's clicks on Approve / Reject change the episode's status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api import flows
from tests.api.world import World, auth, ok
from tests.dashboard.pages import login, open_page, person
from tests.dashboard.seed import flagged_with_evidence

IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"


def episode(w: World, episode_id: str) -> dict[str, Any]:
    return dict(ok(w.client.get(f"/api/v1/episodes/{episode_id}", headers=auth(w.admin))))


def test_an_inspector_approves_and_rejects_from_the_queue(
    browser: Any, live_api: str, world: World, s3: Any, tmp_path: Path
) -> None:
    w = world
    w.order(target=5)
    flagged = flagged_with_evidence(w, s3, tmp_path, station=0)
    other = flows.record_one(w, s3, 1)
    flows.record_qa(other["id"], 0.6, ("gaps",))
    username, password = person(w, "inspector")

    with open_page(browser, live_api) as page:
        page.goto("/dashboard/inspection")
        login(page, username, password)
        queue = page.locator("#queue li[data-episode]")
        queue.nth(1).wait_for()
        assert queue.count() == 2 and page.locator("#queue-count").inner_text() == "2"
        assert (
            "WS-00 · r0" in page.locator(f"#queue li[data-episode='{flagged['id']}']").inner_text()
        )

        page.click(f"#queue li[data-episode='{flagged['id']}']")
        detail = page.locator("#detail")
        detail.locator("[data-check=image_integrity]").wait_for()
        for name in ("timeline.png", "contact_sheet.jpg"):
            picture = detail.locator(f"figure[data-evidence='{name}'] img")
            picture.wait_for()
            page.wait_for_function(IMAGE_LOADED, arg=picture.element_handle())
        assert "fail" in detail.locator("[data-check=image_integrity]").inner_text()

        detail.locator("button.approve").click()
        page.locator(f"#queue li[data-episode='{flagged['id']}']").wait_for(state="detached")
        assert episode(w, flagged["id"])["status"] == "inspector_approved"

        # The next in the queue is selected; rejecting asks for a reason first.
        detail.locator(f".decide[data-episode='{other['id']}']").wait_for()
        detail.locator("button.reject[type=button]").click()
        detail.locator("form.reject-form button[type=submit]").click()
        detail.locator("p.error", has_text="reason is required").wait_for()
        assert episode(w, other["id"])["status"] == "needs_inspection"
        detail.locator("textarea[name=reason]").fill("gripper slips at 00:12")
        detail.locator("form.reject-form button[type=submit]").click()
        page.locator("#queue li.muted", has_text="Nothing awaits").wait_for()
        assert page.locator("#queue-count").inner_text() == "0"

    rejected = episode(w, other["id"])
    assert rejected["status"] == "rejected"
    assert rejected["decisions"][0]["reason"] == "gripper slips at 00:12"
    assert rejected["decisions"][0]["inspector_name"] == username


def test_the_episode_page_shows_checks_evidence_and_decides(
    browser: Any, live_api: str, world: World, s3: Any, tmp_path: Path
) -> None:
    w = world
    w.order(target=5)
    flagged = flagged_with_evidence(w, s3, tmp_path, station=1)
    username, password = person(w, "inspector")
    with open_page(browser, live_api) as page:
        page.goto(f"/dashboard/episodes/{flagged['id']}")
        login(page, username, password)
        page.locator("#status", has_text="needs_inspection").wait_for()
        checks = page.locator("[data-check]")
        assert checks.count() >= 5 and "image_integrity" in page.locator(".checks").inner_text()
        picture = page.locator("figure[data-evidence='timeline.png'] img")
        picture.wait_for()
        page.wait_for_function(IMAGE_LOADED, arg=picture.element_handle())
        assert page.locator("a", has_text="Download mcap").count() == 1
        page.locator("button.approve").click()
        page.locator("#status", has_text="inspector_approved").wait_for()
        assert "Status history" in page.locator("main").inner_text()
    assert episode(w, flagged["id"])["status"] == "inspector_approved"


def test_a_collector_cannot_use_the_inspection_page(
    browser: Any, live_api: str, world: World
) -> None:
    w = world
    collector = w.collectors[0]
    with open_page(browser, live_api) as page:
        page.goto("/dashboard/inspection")
        login(page, collector["username"], w.passwords[collector["username"]])
        page.locator("#detail .error", has_text="for inspectors").wait_for()
        assert page.locator("#queue li[data-episode]").count() == 0
