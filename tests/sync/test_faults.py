"""Faults between edge and cloud: a proxy on loopback in front of the cloud's API and store
injects 500s (before and after the cloud acted), connection resets, timeouts, duplicate
deliveries and a full outage, and a `keystone sync run` process is killed mid-upload.

Afterwards every approved episode is in the cloud exactly once with matching checksums,
no needs_inspection or rejected one is there, the first syncs follow approval order, and
nothing was lost at the edge. The mixed-fault test's outage lasts seconds (backoff capped
at 0.3 s); a second test holds the cloud down for minutes against the production backoff
(capped at 30 s).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from keystone_api.db.engine import get_sessionmaker
from keystone_api.settings import Settings
from keystone_api.sync.sender import drain
from tests.api.world import World, auth, ok
from tests.support.processes import KEYSTONE
from tests.sync.conftest import CLOUD_BUCKET, MIB, Cloud, service_token
from tests.sync.helpers import approve, attempts, flag, inspect, landed, mcap_bytes, sync_rows
from tests.sync.proxy import FaultPlan, FaultProxy

pytestmark = pytest.mark.usefixtures("drained")


def faulty(seed: int, p_duplicate: float = 0.0) -> FaultPlan:
    return FaultPlan(
        p_500=0.08,
        p_500_after=0.08,
        p_reset=0.05,
        p_timeout=0.02,
        timeout_s=2.0,
        p_duplicate=p_duplicate,
        seed=seed,
    )


def _sender_env(api: FaultProxy, store: FaultProxy, settings: Settings) -> dict[str, str]:
    return {
        "KEYSTONE_CLOUD_API_URL": api.url,
        "KEYSTONE_CLOUD_SERVICE_TOKEN": service_token(),
        "KEYSTONE_CLOUD_S3_ENDPOINT_URL": store.url,
        "KEYSTONE_CLOUD_S3_ACCESS_KEY": settings.s3_access_key,
        "KEYSTONE_CLOUD_S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
        "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
        "KEYSTONE_SYNC_PART_SIZE_BYTES": str(5 * MIB),
        "KEYSTONE_SYNC_PARTS_IN_FLIGHT": "1",
        "KEYSTONE_SYNC_CLAIM_TTL_S": "2",
        "KEYSTONE_SYNC_BACKOFF_BASE_S": "0.02",
        "KEYSTONE_SYNC_BACKOFF_CAP_S": "0.3",
        "KEYSTONE_SYNC_HTTP_TIMEOUT_S": "1.5",
    }


@contextmanager
def sender_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [*KEYSTONE, "sync", "run", "--interval-s", "1"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait(what: str, predicate: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _all_synced(ids: list[str]) -> bool:
    return {r.state.value for r in sync_rows(ids).values()} == {"synced"}


def _make_episodes(w: World, s3: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The big one first, then a mix; returns (approved in approval order, not approved)."""
    approved = [approve(landed(w, s3, data=mcap_bytes(16 * MIB + 5)))]
    others = []
    for i in range(14):
        episode = landed(w, s3, station=i % 2)
        if i % 5 == 3:
            others.append(flag(episode))
        elif i % 5 == 4:
            others.append(inspect(w, flag(episode), "reject"))
        elif i % 7 == 2:
            approved.append(inspect(w, flag(episode), "approve"))
        else:
            approved.append(approve(episode))
    return approved, others


def test_every_approved_episode_reaches_the_cloud_once_through_faults(
    world: World,
    s3: Any,
    cloud: Cloud,
    sync_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    w = world
    w.order(target=30)
    api = FaultProxy(cloud.api, faulty(seed=1, p_duplicate=0.3))
    store = FaultProxy(cloud.s3_url, faulty(seed=2))
    settings = sync_settings(api=api.url, s3=store.url, sync_http_timeout_s=1.5)

    # 1. Full outage: the edge keeps collecting and approving; the queue only grows.
    approved, others = _make_episodes(w, s3)
    ids = [e["id"] for e in approved]
    outage = drain(get_sessionmaker(), settings, deadline=time.monotonic() + 2)
    assert outage.confirmed == 0 and outage.errors
    assert outage.remaining >= len(approved)
    rows = sync_rows(ids)
    assert {r.state.value for r in rows.values()} <= {"queued", "uploading"}
    assert rows[ids[0]].attempts >= 1  # the head failed and backs off; the rest wait in order
    assert not set(ids) & set(cloud.episodes())

    # 2. The cloud returns, with faults; the sender process dies in the big upload.
    api.start()
    store.start()
    try:
        store.plan.throttle_bps = 2 * MIB  # 2.5 s a part: room to kill mid-upload
        env = _sender_env(api, store, settings)
        big = approved[0]["id"]
        with sender_process(env, tmp_path / "sender-1.log") as first:
            _wait(
                "the first part of the big upload",
                lambda: (
                    (r := sync_rows([big])[big]).multipart_upload_id is not None
                    and r.bytes_sent > 0
                ),
                timeout_s=60,
            )
            first.kill()  # SIGKILL: no cleanup, the claim and the upload stay behind
            first.wait()
        assert sync_rows([big])[big].state.value == "uploading"

        # 3. A new sender takes over after the dead one's claim expires, and resumes.
        store.plan.throttle_bps = 0
        with sender_process(env, tmp_path / "sender-2.log"):
            _wait(
                "every approved episode synced",
                lambda: _all_synced(ids),
                timeout_s=120,
            )
    finally:
        api.stop()
        store.stop()

    faults = api.plan.seen + store.plan.seen
    assert sum(n for name, n in faults.items() if name != "ok") > 0
    _assert_converged(w, s3, cloud, approved, others)
    # Resumed, not restarted: what the successor sent, over all its attempts, is less than
    # the file (the part the killed sender uploaded was never sent again).
    log = attempts(big)
    assert [a.outcome for a in log].count("synced") + [a.outcome for a in log].count(
        "already_synced"
    ) == 1
    assert sum(a.bytes_sent for a in log) < approved[0]["mcap_size_bytes"]
    uploads = cloud.s3.list_multipart_uploads(Bucket=cloud.bucket, Prefix=f"{w.factory_id}/")
    assert not uploads.get("Uploads")  # the interrupted upload was completed, not abandoned


def _assert_converged(
    w: World, s3: Any, cloud: Cloud, approved: list[dict[str, Any]], others: list[dict[str, Any]]
) -> None:
    in_cloud = cloud.episodes()  # ordered by first sync
    ids = [e["id"] for e in approved]
    assert [i for i in in_cloud if i in set(ids)] == ids  # all there, in approval order
    assert not {e["id"] for e in others} & set(in_cloud)
    for episode in approved:
        row = in_cloud[episode["id"]]
        assert row.mcap_sha256 == episode["sha256"]
        # Exactly once: one record (primary key) and one copy of each object.
        assert len(cloud.keys(f"{w.factory_id}/episodes/{episode['id']}/")) == 2
        data = cloud.s3.get_object(Bucket=cloud.bucket, Key=row.mcap_key)["Body"].read()
        assert hashlib.sha256(data).hexdigest() == episode["sha256"]
    # Nothing lost at the edge: every episode, its status and its objects are still there.
    for episode in [*approved, *others]:
        now = ok(w.client.get(f"/api/v1/episodes/{episode['id']}", headers=auth(w.admin)))
        assert now["checksum_sha256"] == episode["sha256"]
        assert s3.head_object(Bucket=now["bucket"], Key=now["mcap_key"])["ContentLength"] > 0
    assert {e["id"] for e in others}.isdisjoint(sync_rows([e["id"] for e in others]))
    assert _all_synced(ids)


OUTAGE_S = 150  # "a full outage of a few minutes", with the production backoff


@pytest.mark.timeout(OUTAGE_S + 240)
def test_an_outage_of_minutes_with_production_backoff_only_delays_the_queue(
    world: World,
    s3: Any,
    cloud: Cloud,
    sync_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    """The cloud is unreachable for minutes while `keystone sync run` keeps trying with the
    production backoff (base 1 s, full jitter, capped at 30 s) and the edge keeps approving
    recordings; when the cloud returns, the queue drains in approval order, exactly once."""
    w = world
    w.order(target=12)
    api, store = FaultProxy(cloud.api), FaultProxy(cloud.s3_url)  # not started: refused
    env = {
        **_sender_env(api, store, sync_settings()),
        "KEYSTONE_SYNC_BACKOFF_BASE_S": "1",
        "KEYSTONE_SYNC_BACKOFF_CAP_S": "30",
    }
    approved: list[dict[str, Any]] = []
    with sender_process(env, tmp_path / "sender.log"):
        start = time.monotonic()
        for wave in range(3):  # the edge keeps collecting through the outage
            time.sleep(max(0.0, start + wave * OUTAGE_S / 3 - time.monotonic()))
            approved += [approve(landed(w, s3, station=i % 2)) for i in range(3)]
        ids = [e["id"] for e in approved]
        time.sleep(max(0.0, start + OUTAGE_S - time.monotonic()))

        rows = sync_rows(ids)
        assert len(rows) == len(ids)  # every approved episode queued, none lost
        assert {r.state.value for r in rows.values()} <= {"queued", "uploading"}
        assert not set(ids) & set(cloud.episodes())
        head = attempts(ids[0])
        assert len(head) >= 3 and {a.outcome for a in head} == {"error"}  # kept trying
        waited = rows[ids[0]].next_attempt_at - head[-1].at
        assert waited.total_seconds() <= 30  # full jitter, capped at 30 s

        api.start()
        store.start()
        try:
            _wait(
                "the queue drained after the outage",
                lambda: _all_synced(ids),
                timeout_s=120,
            )
        finally:
            api.stop()
            store.stop()
    _assert_converged(w, s3, cloud, approved, [])
