"""At most one /metrics computation per KEYSTONE_METRICS_MIN_INTERVAL_S, however many come.

Reading the metrics costs ~0.13 s of database per scrape, so an open door to it was a
lever on the database. Per process (per app): the families read last are kept with
their rendered text; a scrape within the interval gets them as they are, and scrapes
that arrive while they are being read wait for that one reading (single flight) instead
of starting their own. Prometheus scrapes every 15-60 s, so the interval (5 s by default)
costs it nothing; several API workers each read at most once per interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from prometheus_client import generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry


@dataclass(frozen=True)
class Snapshot:
    families: list[Metric]
    text: bytes  # every family rendered: what most scrapes (Prometheus's) get
    taken_at: float  # time.monotonic()

    def render(self, factory_id: str | None) -> bytes:
        """The text, or only one factory's series (for a staff token bound to it)."""
        if factory_id is None:
            return self.text
        return render([_of_factory(f, factory_id) for f in self.families])


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def render(families: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families))
    return generate_latest(registry)


def _of_factory(family: Metric, factory_id: str) -> Metric:
    # Series without a factory label (operator events, the collection time) are not of
    # one factory: left out.
    kept = Metric(family.name, family.documentation, family.type, family.unit)
    kept.samples = [s for s in family.samples if s.labels.get("factory") == factory_id]
    return kept


class Scrapes:
    """The last snapshot and the reading in flight, of one app (one event loop)."""

    def __init__(self, collect: Callable[[], list[Metric]], min_interval_s: Callable[[], float]):
        self._collect = collect
        self._min_interval_s = min_interval_s
        self._last: Snapshot | None = None
        self._reading: asyncio.Future[Snapshot] | None = None

    async def snapshot(self) -> Snapshot:
        last = self._last
        if last is not None and time.monotonic() - last.taken_at < self._min_interval_s():
            return last
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
        # Shielded: a scraper that hangs up cancels its own wait, not the others' reading.
        return await asyncio.shield(self._reading)

    async def _read(self) -> Snapshot:
        try:
            families = await run_in_threadpool(self._collect)
            text = await run_in_threadpool(render, families)
            self._last = Snapshot(families, text, time.monotonic())
            return self._last
        finally:
            self._reading = None  # a failed reading is not kept: the next scrape tries again
