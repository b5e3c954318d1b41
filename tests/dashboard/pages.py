"""Browser helpers: a fresh page per test that fails the test on any script error or
console error (a CSP violation shows there too), the login form, and a time zone in which
it is mid-day (so "today" never straddles midnight while a test runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

# Hang guards, not timing assertions: a wait gives up after this long.
WAIT_MS = 15_000


def midday_zone(now: datetime | None = None) -> str:
    """An IANA zone where the local hour is about noon now (Etc/GMT-X is UTC+X)."""
    hour = (now or datetime.now(UTC)).hour
    east = (12 - hour + 12) % 24 - 12  # -12..+11 hours east of UTC
    return "Etc/UTC" if east == 0 else f"Etc/GMT{-east:+d}"


@contextmanager
def open_page(
    browser: Any, base_url: str, allow: tuple[int, ...] = (), **context: Any
) -> Iterator[Any]:
    """`allow`: statuses the test provokes on purpose (a 409, a 422), besides 401/403."""
    ctx = browser.new_context(base_url=base_url, **context)
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def on_response(response: Any) -> None:
        # Refusals (401/403) are what some tests look for; any other failure is a bug.
        if response.status >= 400 and response.status not in (401, 403, *allow):
            errors.append(f"HTTP {response.status} {response.url}")

    def on_console(message: Any) -> None:
        # Failed loads are judged by on_response, which knows the status and the URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console: {message.text}")

    page.on("response", on_response)
    page.on("console", on_console)
    try:
        yield page
        assert not errors, errors
    finally:
        ctx.close()


def login(page: Any, username: str, password: str) -> None:
    form = page.locator("#login-form")
    form.wait_for(state="visible")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.locator("#login").wait_for(state="hidden")


def person(w: Any, role: str) -> tuple[str, str]:
    """A new account of this role in the world's factory: (username, password)."""
    from keystone_api.ids import new_id

    username = f"{role}-{new_id()[-10:]}"
    w.user(role, name=username)
    return username, w.passwords[username]
