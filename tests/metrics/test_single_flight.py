"""A scrape is computed at most once per KEYSTONE_METRICS_MIN_INTERVAL_S however many come
(keystone_api/metrics/scrapes.py). Computations are counted at the collector (each one is
the database reading), never timed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from keystone_api.metrics.collector import KeystoneCollector
from keystone_api.metrics.scrapes import Scrapes
from tests.api.world import auth
from tests.support.live import serve_app
from tests.support.settings_env import new_scrape_token, settings_env


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """When each database reading of /metrics started; each is held 0.3 s so that scrapes
    sent together are all in flight while it runs."""
    started: list[float] = []
    original = KeystoneCollector.collect

    def counted(self: KeystoneCollector) -> Any:
        started.append(time.monotonic())
        time.sleep(0.3)
        yield from original(self)

    monkeypatch.setattr(KeystoneCollector, "collect", counted)
    yield started


async def _scrape_together(base: str, token: str, n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as c:
        return await asyncio.gather(*(c.get("/metrics", headers=auth(token)) for _ in range(n)))


@pytest.mark.slow  # a live server and fifty requests at once
def test_fifty_concurrent_scrapes_read_the_database_once(readings: list[float]) -> None:
    from keystone_api.app import create_app

    token = new_scrape_token()
    with settings_env(metrics_token=token, metrics_min_interval_s="300"):
        with serve_app(create_app()) as base:  # a new process-wide cache: nothing kept yet
            answers = asyncio.run(_scrape_together(base, token, 50))
            assert [a.status_code for a in answers] == [200] * 50
            assert len({a.text for a in answers}) == 1
            assert len(readings) == 1
            # Within the interval, later scrapes are answered from the same reading too.
            again = httpx.get(base + "/metrics", headers=auth(token))
            assert again.text == answers[0].text and len(readings) == 1
        with settings_env(metrics_min_interval_s="0"), serve_app(create_app()) as base:
            for _ in range(2):  # no interval: each scrape reads afresh
                assert httpx.get(base + "/metrics", headers=auth(token)).status_code == 200
            assert len(readings) == 3


def test_scrapes_that_arrive_during_a_reading_share_it() -> None:
    """Single flight alone (no interval to hide behind): 50 scrapes that all wait on one
    reading get its result, and a refused reading is not kept."""
    calls: list[int] = []
    gate = threading.Event()
    failing = [True]

    def collect() -> list[Any]:
        calls.append(1)
        gate.wait(30)
        if failing[0]:
            failing[0] = False
            raise RuntimeError("database away")
        return []

    async def scenario() -> None:
        scrapes = Scrapes(collect, lambda: 0.0)
        waiting = [asyncio.ensure_future(scrapes.snapshot()) for _ in range(50)]
        await asyncio.sleep(0)  # every scrape reaches its wait before the reading ends
        gate.set()
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)
        assert len(calls) == 1
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        waiting = [asyncio.ensure_future(scrapes.snapshot()) for _ in range(50)]
        snapshots = await asyncio.gather(*waiting)
        assert len(calls) == 2 and len({id(s) for s in snapshots}) == 1

    asyncio.run(scenario())
