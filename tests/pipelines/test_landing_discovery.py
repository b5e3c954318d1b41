"""The landing sensor's cost per tick does not grow with the objects already in the bucket,
a late upload keyed under an old date is still found, and a retried tick asks for the same
runs (so Dagster's run keys never double work). Real SeaweedFS, MariaDB and Dagster
instance; the S3 requests a tick makes are counted on the resource's own client."""

from __future__ import annotations

import collections
import json
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.ids import new_id
from keystone_api.settings import get_settings
from keystone_api.storage.layout import axon_keys
from keystone_api.storage.s3 import ensure_bucket
from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor
from keystone_pipelines.landing.discovery import factory_buckets
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor

OLD_PAIRS = 1500  # 3,000 objects: three pages of the sweep
PAGE = 1000
CONCURRENT_SLACK = 10  # open tasks other tests may start or finish between two ticks


class S3Calls:
    """Counts the S3 operations made through one boto3 client."""

    def __init__(self, client: Any) -> None:
        self.client, self.counts = client, collections.Counter[str]()
        client.meta.events.register("before-call.s3", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1

    def take(self) -> collections.Counter[str]:
        counts, self.counts = self.counts, collections.Counter()
        return counts

    def close(self) -> None:
        self.client.meta.events.unregister("before-call.s3", self._count)


def _old_objects(s3: Any, bucket: str, factory_id: str) -> None:
    """Recordings of long-gone tasks under old dates (what months of work leave behind)."""
    ensure_bucket(s3, bucket)

    def put(i: int) -> None:
        key = axon_keys(factory_id, f"old-robot-{i % 7}", f"2026-01-{1 + i % 28:02d}", new_id())
        s3.put_object(Bucket=bucket, Key=key.mcap_key, Body=b"\x89MCAP0\r\n")
        s3.put_object(Bucket=bucket, Key=key.sidecar_key, Body=b"{}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(OLD_PAIRS)))


def test_tick_cost_is_flat_and_a_late_upload_in_an_old_prefix_is_found(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=3)
    bucket = get_settings().bucket_for(w.factory_id)
    calls = S3Calls(keystone_resource.s3())
    try:
        before = evaluate_sensor(
            landed_recordings_sensor, dagster_instance, keystone_resource, None
        )
        cost_before = calls.take()
        _old_objects(s3, bucket, w.factory_id)
        calls.take()

        cursor = before.cursor
        after = evaluate_sensor(
            landed_recordings_sensor, dagster_instance, keystone_resource, cursor
        )
        cost_after = calls.take()
        # One page of the sweep and the same HEADs (one per key an open task may have
        # landed under) whatever the bucket holds.
        assert cost_after["ListObjectsV2"] == cost_before["ListObjectsV2"] == 1
        assert cost_after["HeadObject"] == cost_before["HeadObject"]
        cursor = after.cursor

        # An upload keyed under a date nobody expects: only the sweep can find it.
        task, key = record_and_upload(w, s3, tmp_path, 0, day="2025-12-31")
        assert key.mcap_key.split("/")[2] == "2025-12-31"
        calls.take()
        with get_sessionmaker()() as session:
            buckets = factory_buckets(session, get_settings())
        bound = len(buckets) + math.ceil((2 * OLD_PAIRS + 2) / PAGE) + 1
        heads = []
        episode = None
        for _ in range(bound):
            result = evaluate_sensor(
                landed_recordings_sensor, dagster_instance, keystone_resource, cursor
            )
            cost = calls.take()
            assert cost["ListObjectsV2"] <= 1
            heads.append(cost["HeadObject"])
            cursor = result.cursor
            with get_sessionmaker()() as session:
                episode = session.execute(
                    select(Episode).where(Episode.task_id == task["id"])
                ).scalar_one_or_none()
            if episode is not None:
                break
        assert episode is not None, f"not found within {bound} ticks (one full sweep)"
        print(f"found after {len(heads)} ticks; HEADs per tick {heads}")
        assert episode.registered_by == "sensor" and episode.status.value == "pending_qa"
        assert episode.mcap_key == key.mcap_key
        # Until then, each tick HEADs the open tasks' keys, never anything in proportion to
        # the bucket (a page of the sweep is 1,000 objects; the tick that registers adds the
        # pair's own verification). The open tasks are every factory's in the session's
        # database: other tests running beside this one open and close a few meanwhile.
        earlier = heads[:-1] or heads
        assert max(earlier) - min(earlier) <= CONCURRENT_SLACK
        assert heads[-1] <= max(earlier) + 2

        # A retried tick (same cursor, nothing new) asks for the very same runs: their run
        # keys make Dagster launch each once.
        first = {r.run_key for r in result.run_requests or []}
        retried = evaluate_sensor(
            landed_recordings_sensor, dagster_instance, keystone_resource, cursor
        )
        again = evaluate_sensor(
            landed_recordings_sensor, dagster_instance, keystone_resource, cursor
        )
        assert first and {r.run_key for r in retried.run_requests or []} == first
        assert {r.run_key for r in again.run_requests or []} == first
        assert json.loads(retried.cursor or "{}") == json.loads(again.cursor or "{}")
    finally:
        calls.close()
