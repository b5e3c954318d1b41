"""The sender's own counters (prometheus-client), per process.

The fleet-wide sync figures (queue depth, retries of queued episodes, approval-to-sync
latency) are read from MySQL at scrape time by keystone_api/metrics/collector.py, so every
API worker reports the same values. These count what one sender process did since it
started, under their own names (`keystone_sync_sender_*`) so both can share a registry.
Nothing is registered at import: `register(registry)`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

RETRIES = Counter(
    "keystone_sync_sender_retries",
    "Failed sync attempts this sender will retry, by error class",
    ["reason"],
    registry=None,
)
FAILED = Counter(
    "keystone_sync_sender_failed",
    "Episodes this sender stopped on an error that needs a person (not retried), by class",
    ["reason"],
    registry=None,
)
SYNCED = Counter(
    "keystone_sync_sender_episodes",
    "Episodes the cloud confirmed to this sender (202 first delivery, 409 already there)",
    ["outcome"],
    registry=None,
)
BYTES = Counter(
    "keystone_sync_sender_bytes", "Bytes this sender uploaded to the cloud store", registry=None
)
LATENCY = Histogram(
    "keystone_sync_sender_latency_seconds",
    "From an episode's approval to the cloud's confirmation (first sync only)",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
    registry=None,
)


def register(registry: CollectorRegistry) -> None:
    for collector in (RETRIES, FAILED, SYNCED, BYTES, LATENCY):
        registry.register(collector)
