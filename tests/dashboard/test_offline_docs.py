"""Swagger UI (/docs) and ReDoc (/redoc) render with every request staying on this host:
their scripts, styles and icons come from the package (fastapi-offline), not a CDN, so an
offline factory edge shows its API docs. The browser aborts anything bound elsewhere, as a
network without internet would, and the pages must render all the same."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.dashboard.pages import WAIT_MS

CSP_REFUSAL = re.compile(r"'([^']+)' violates the following Content Security Policy")


@dataclass
class Seen:
    requested: list[str] = field(default_factory=list)  # every URL the page asked for
    answered: list[str] = field(default_factory=list)  # those that got an answer
    left: list[str] = field(default_factory=list)  # those bound elsewhere (aborted)
    refused: list[str] = field(default_factory=list)  # refused by the page's CSP
    errors: list[str] = field(default_factory=list)  # anything else that went wrong


@contextmanager
def offline_page(browser: Any, base_url: str) -> Iterator[tuple[Any, Seen]]:
    """A page whose requests to other hosts are aborted, as on a network without internet.
    Like tests.dashboard.pages.open_page it fails on script errors and failed loads; a CSP
    refusal (a console error) is kept apart: it is the page keeping a request home."""
    host = urlsplit(base_url).netloc
    seen = Seen()

    def route(r: Any) -> None:
        url = r.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != host:
            seen.left.append(url)
            r.abort()
        else:
            r.continue_()

    def on_console(message: Any) -> None:
        if message.type != "error" or message.text.startswith("Failed to load resource"):
            return
        refused = CSP_REFUSAL.search(message.text)
        if refused:
            seen.refused.append(refused[1])
        else:
            seen.errors.append(f"console: {message.text}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            seen.errors.append(f"HTTP {response.status} {response.url}")

    ctx = browser.new_context(base_url=base_url)
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda exc: seen.errors.append(f"page error: {exc}"))
    page.on("console", on_console)
    page.on("request", lambda request: seen.requested.append(request.url))
    page.on("requestfinished", lambda request: seen.answered.append(request.url))
    page.on("response", on_response)
    page.route("**/*", route)
    try:
        yield page, seen
        assert not seen.errors, seen.errors
    finally:
        ctx.close()


def only_this_host(seen: Seen, base_url: str) -> None:
    """Every request that went out went to this server: none had to be aborted, and the
    page asked elsewhere only for what its own CSP refused before sending (Chromium reports
    the attempt as a request)."""
    host = urlsplit(base_url).netloc
    network = [u for u in seen.answered if urlsplit(u).scheme not in ("data", "blob")]
    assert network and all(urlsplit(u).netloc == host for u in network), network
    assert not seen.left, seen.left
    elsewhere = [
        u
        for u in seen.requested
        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != host
    ]
    assert sorted(elsewhere) == sorted(seen.refused), (elsewhere, seen.refused)


def test_swagger_ui_renders_from_this_host_only(browser: Any, live_api: str) -> None:
    with offline_page(browser, live_api) as (page, seen):
        page.goto("/docs")
        page.locator(".swagger-ui .info .title", has_text="Keystone edge").wait_for()
        # The operations are there, grouped by tag, and one opens.
        page.locator(".opblock-tag", has_text="alerts").first.wait_for()
        assert page.locator(".opblock").count() > 50
        page.locator(".opblock-summary", has_text="/api/v1/alerts").first.click()
        page.locator(".opblock.is-open").first.wait_for()
    only_this_host(seen, live_api)
    assert any(u.endswith("/docs/static/swagger-ui-bundle.js") for u in seen.requested)
    assert any(u.endswith("/openapi.json") for u in seen.requested)


def test_redoc_renders_from_this_host_only(browser: Any, live_api: str) -> None:
    with offline_page(browser, live_api) as (page, seen):
        page.goto("/redoc")
        page.locator("h1", has_text="Keystone edge").wait_for()
        # The operations are drawn, each under its summary.
        page.locator("h2", has_text="Search and filter episodes").first.wait_for()
        # The search works (ReDoc runs it in a worker of its own).
        page.fill("input.search-input", "inspection queue")
        page.locator("[data-role='search:results']", has_text="awaiting an inspector").wait_for()
    only_this_host(seen, live_api)
    assert any(u.endswith("/docs/static/redoc.standalone.js") for u in seen.requested)
    # ReDoc's sidebar asks a CDN for Redocly's logo: the page's policy keeps it home.
    assert seen.refused == ["https://cdn.redoc.ly/redoc/logo-mini.svg"]


def test_the_pages_keep_their_policy_and_follow_a_proxy_prefix() -> None:
    """Behind a proxy that serves the app under a prefix (uvicorn --root-path), the pages
    load their scripts and the OpenAPI document under it, as FastAPI's own pages do."""
    from fastapi.testclient import TestClient

    from keystone_api.app import create_app

    client = TestClient(create_app(), root_path="/edge")
    for page, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        response = client.get(page)
        assert response.status_code == 200
        assert f'"/edge/docs/static/{script}"' in response.text
        assert "/edge/openapi.json" in response.text
        assert "img-src 'self' data:;" in response.headers["content-security-policy"]
    # What the page asks for is served (ASGI paths carry the prefix: uvicorn adds it).
    assert client.get("/edge/docs/static/swagger-ui-bundle.js").status_code == 200
