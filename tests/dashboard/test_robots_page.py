"""The robots page in a real headless Chromium: an admin mints an enrollment secret (shown
once, with the URL to give axon-config), a robot enrolls with it, the list counts it, and
the admin revokes it; other roles get no secrets."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.world import World
from tests.dashboard.pages import login, open_page, person


def _register(url: str, w: World) -> int:
    factory = w.client.get(f"/api/v1/factories/{w.factory_id}", headers=_admin(w)).json()
    robot_type = w.client.get(f"/api/v1/robot-types/{w.robot_type_id}", headers=_admin(w)).json()
    body = {"factory": factory["name"], "robot_type": robot_type["name"]}
    return httpx.post(url + "/api/v1/devices/register", json=body, timeout=30).status_code


def _admin(w: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.admin}"}


def test_an_admin_mints_sees_and_revokes_an_enrollment_secret(
    browser: Any, live_api: str, world: World
) -> None:
    w = world
    username, password = person(w, "admin")
    with open_page(browser, live_api) as page:
        page.goto("/dashboard/robots")
        login(page, username, password)
        page.locator(f"#factory option[value='{w.factory_id}']").wait_for(state="attached")
        page.select_option("#factory", w.factory_id)
        page.fill("form#mint input[name=label]", "browser test robots")
        page.locator("form#mint button[type=submit]").click()
        url = page.locator("#minted-url").inner_text()
        secret = page.locator("#minted-secret").inner_text()
        assert url.startswith(f"http://enroll:{secret}@")
        # A robot enrolls with what the page showed (at this test server's address: the
        # page's URL names KEYSTONE_PUBLIC_BASE_URL).
        url = live_api.replace("http://", f"http://enroll:{secret}@")
        assert _register(url, w) == 201
        page.reload()
        row = page.locator("#secrets tr", has_text="browser test robots")
        row.wait_for()
        assert secret not in page.content()  # shown once, never listed
        assert secret[:6] in row.inner_text() and "active" in row.inner_text()
        page.on("dialog", lambda dialog: dialog.accept())
        row.locator("button", has_text="Revoke").click()
        page.locator("#secrets tr", has_text="browser test robots").wait_for(state="detached")
        assert _register(url, w) == 401


def test_an_operator_sees_no_secrets(browser: Any, live_api: str, world: World) -> None:
    username, password = person(world, "operator")
    with open_page(browser, live_api) as page:
        page.goto("/dashboard/robots")
        login(page, username, password)
        page.locator("main .error", has_text="Only admins").wait_for()
        assert page.locator("#secrets").count() == 0
