"""Fixtures of the dashboard tests: one seeded factory per test session (seeding through
the API costs seconds; the tests that read it never change it; tests that decide episodes
build their own world), and a real headless Chromium driven by playwright."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.world import World, build_world
from tests.dashboard.seed import Production, seed_production

CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/run installs it)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def seeded_client(live_api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def seeded_s3(s3_server: Any) -> Any:
    from keystone_api.storage.s3 import make_s3_client

    return make_s3_client(s3_server.endpoint_url, s3_server.access_key, s3_server.secret_key)


@pytest.fixture(scope="session")
def seeded_world(seeded_client: httpx.Client) -> World:
    return build_world(seeded_client)


@pytest.fixture(scope="session")
def production(seeded_world: World, seeded_s3: Any) -> Production:
    return seed_production(seeded_world, seeded_s3)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: playwright's sync API keeps an asyncio loop marked running
    # in this thread while it is open, which breaks every later asyncio test on the worker.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
