"""Sync metrics (prometheus-client): queue depth, retries, latency from approval to sync.

Nothing is registered at import: `register(registry, session_factory)` adds them to the
registry the /metrics endpoint serves. The counters and the histogram count what this
process did; the queue depth is read from the database at each scrape, so every process
reports the same, true value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

RETRIES = Counter(
    "keystone_sync_retries",
    "Failed sync attempts that will be retried (network, cloud errors, refusals)",
    ["reason"],
    registry=None,
)
SYNCED = Counter(
    "keystone_sync_episodes",
    "Episodes the cloud confirmed (202 first delivery, 409 already there)",
    ["outcome"],
    registry=None,
)
BYTES = Counter(
    "keystone_sync_bytes", "Bytes uploaded to the cloud store by the sender", registry=None
)
LATENCY = Histogram(
    "keystone_sync_latency_seconds",
    "From an episode's approval to the cloud's confirmation (first sync only)",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
    registry=None,
)


class SyncQueueCollector(Collector):
    """keystone_sync_queue_depth{state}: episodes waiting for the cloud, read at scrape."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._sessions = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from keystone_api.sync.stats import state_counts

        family = GaugeMetricFamily(
            "keystone_sync_queue_depth",
            "Approved episodes not yet in the cloud, by sync state (alert above 100)",
            labels=["state"],
        )
        with self._sessions() as session:
            counts = state_counts(session)
        for state in ("waiting", "queued", "uploading", "failed"):
            family.add_metric([state], counts.get(state, 0))
        yield family


def register(registry: CollectorRegistry, session_factory: Callable[[], Session]) -> None:
    for collector in (RETRIES, SYNCED, BYTES, LATENCY, SyncQueueCollector(session_factory)):
        registry.register(collector)
