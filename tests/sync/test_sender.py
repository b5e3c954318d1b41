"""The edge's sender against the real cloud instance: what goes, in which order, verified."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from awscrt.checksums import crc64nvme
from sqlalchemy import select, update

from keystone_api.cloud.models import CloudBatch, CloudOrder, CloudOrganization, CloudTask
from keystone_api.db.engine import get_sessionmaker
from keystone_api.settings import Settings
from keystone_api.sync.job import cloud_key
from keystone_api.sync.models import EpisodeSync
from keystone_api.sync.objects import crc64_b64
from keystone_api.sync.sender import drain
from tests.api.world import World, auth, ok
from tests.sync.conftest import MIB, Cloud
from tests.sync.helpers import (
    approve,
    attempts,
    drain_all,
    flag,
    inspect,
    landed,
    mcap_bytes,
    sync_rows,
)

pytestmark = pytest.mark.usefixtures("drained")


def _cloud_checksums_match(cloud: Cloud, episode: dict[str, Any]) -> None:
    row = cloud.episodes()[episode["id"]]
    assert row.mcap_sha256 == episode["sha256"]
    data = cloud.s3.get_object(Bucket=cloud.bucket, Key=row.mcap_key)["Body"].read()
    assert hashlib.sha256(data).hexdigest() == episode["sha256"]


def test_only_approved_episodes_go_in_approval_order_with_their_records(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=10)
    auto1 = approve(landed(w, s3))
    flagged = flag(landed(w, s3, station=1))
    rejected = inspect(w, flag(landed(w, s3)), "reject")
    inspected = inspect(w, flag(landed(w, s3, station=1)), "approve")
    auto2 = approve(landed(w, s3))
    pending = landed(w, s3, station=1)  # still pending_qa

    report = drain_all(sync_settings())

    approved = [auto1, inspected, auto2]
    assert set(report.synced) == {e["id"] for e in approved}
    in_cloud = cloud.episodes()
    assert not {flagged["id"], rejected["id"], pending["id"]} & set(in_cloud)
    for episode in approved:
        _cloud_checksums_match(cloud, episode)
    synced_order = [i for i in in_cloud if i in {e["id"] for e in approved}]
    assert synced_order == [auto1["id"], inspected["id"], auto2["id"]]  # approval order
    rows = sync_rows([e["id"] for e in approved])
    assert {r.state.value for r in rows.values()} == {"synced"}
    assert all(r.bytes_sent == r.bytes_total > 0 for r in rows.values())
    assert [a.outcome for a in attempts(auto1["id"])] == ["synced"]
    # The operational records went with them, at their current versions.
    with cloud.sessions() as session:
        org = session.get(CloudOrganization, w.org_id)
        assert org is not None and "description" in org.data and "version" not in org.data
        tasks = (
            session.execute(
                select(CloudTask).where(CloudTask.id.in_([e["task_id"] for e in approved]))
            )
            .scalars()
            .all()
        )
        assert {t.status for t in tasks} == {"completed"}
        order = session.get(CloudOrder, auto1["order_id"])
        assert order is not None and order.status == "active"
        assert session.get(CloudBatch, auto1["batch_id"]) is not None
    detail = ok(w.client.get(f"/api/v1/tasks/{auto1['task_id']}", headers=auth(w.admin)))
    with cloud.sessions() as session:
        task = session.get(CloudTask, auto1["task_id"])
        assert task is not None and task.data["status"] == detail["status"]


def test_admin_resync_gets_409_and_duplicates_nothing(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=3)
    episode = approve(landed(w, s3))
    drain_all(sync_settings())
    first = cloud.episodes()[episode["id"]]
    objects = cloud.keys(f"{w.factory_id}/episodes/{episode['id']}/")
    assert len(objects) == 2

    operator = w.user("operator")
    path = f"/api/v1/sync/episodes/{episode['id']}/resync"
    assert w.client.post(path, headers=auth(operator)).status_code == 403
    assert ok(w.client.post(path, headers=auth(w.admin)))["state"] == "queued"
    assert w.client.post(path, headers=auth(w.admin)).status_code == 409  # already queued
    report = drain_all(sync_settings())

    assert report.already_synced == [episode["id"]] and report.bytes_sent == 0
    assert cloud.episodes()[episode["id"]].synced_at == first.synced_at
    assert cloud.keys(f"{w.factory_id}/episodes/{episode['id']}/") == objects
    assert [a.outcome for a in attempts(episode["id"])] == ["synced", "already_synced"]
    assert sync_rows([episode["id"]])[episode["id"]].synced_at == first.synced_at


def test_a_large_recording_goes_multipart_with_progress_and_is_crc_verified(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=2)
    data = mcap_bytes(12 * MIB + 123)
    episode = approve(landed(w, s3, data=data))
    drain_all(sync_settings(sync_parts_in_flight=2))
    _cloud_checksums_match(cloud, episode)
    assert cloud.episodes()[episode["id"]].verified_by == "s3-crc64nvme"
    head = cloud.s3.head_object(
        Bucket=cloud.bucket, Key=cloud.episodes()[episode["id"]].mcap_key, ChecksumMode="ENABLED"
    )
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ETag"].endswith('-3"')  # three parts of 5 MiB at most
    # The store's own CRC64NVME of the whole object, from the parts it accepted:
    assert head["ChecksumType"] == "FULL_OBJECT"
    assert head["ChecksumCRC64NVME"] == crc64_b64(crc64nvme(data))
    detail = ok(w.client.get(f"/api/v1/sync/episodes/{episode['id']}", headers=auth(w.admin)))
    assert detail["state"] == "synced" and detail["progress"] == 1.0
    assert detail["bytes_sent"] == detail["bytes_total"] > 12 * MIB
    assert detail["attempt_log"][0]["outcome"] == "synced"
    assert detail["attempt_log"][0]["bytes_sent"] == detail["bytes_total"]
    assert not detail["resumable_upload"]


def test_a_resumed_upload_whose_cloud_parts_differ_starts_afresh(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    """A part left in the cloud by an earlier attempt, of the right size but other bytes
    (the resume only checks sizes): the store refuses to complete (its CRC of the parts is
    not ours of the edge bytes), the upload is aborted, the next attempt sends it all."""
    w = world
    w.order(target=2)
    episode = approve(landed(w, s3, data=mcap_bytes(12 * MIB + 123)))
    key = cloud_key(w.factory_id, episode["id"], episode["sha256"], "data.mcap")
    upload = cloud.s3.create_multipart_upload(
        Bucket=cloud.bucket,
        Key=key,
        ChecksumAlgorithm="CRC64NVME",
        ChecksumType="FULL_OBJECT",
        Metadata={"checksum-sha256": episode["sha256"]},
        ServerSideEncryption="AES256",
    )["UploadId"]
    cloud.upload_part(key, upload, 1, os.urandom(5 * MIB))  # right size, other bytes
    with get_sessionmaker()() as session, session.begin():
        session.execute(
            update(EpisodeSync)
            .where(EpisodeSync.episode_id == episode["id"])
            .values(multipart_upload_id=upload)
        )
    drain_all(sync_settings())
    _cloud_checksums_match(cloud, episode)
    log = attempts(episode["id"])
    assert [a.outcome for a in log] == ["error", "synced"]
    assert "CloudPartsDiffer" in (log[0].error or "")
    assert cloud.s3.list_multipart_uploads(Bucket=cloud.bucket, Prefix=key).get("Uploads") in (
        None,
        [],
    )


def test_two_senders_at_once_never_send_the_same_episode(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=12)
    episodes = [approve(landed(w, s3, station=i % 2)) for i in range(10)]
    settings = sync_settings(sync_window=3)
    reports = []

    def run() -> None:
        reports.append(drain(get_sessionmaker(), settings, deadline=None))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drain_all(settings)
    ids = [e["id"] for e in episodes]
    for episode_id in ids:
        outcomes = [a.outcome for a in attempts(episode_id)]
        assert outcomes.count("synced") == 1 and "already_synced" not in outcomes
    in_cloud = [i for i in cloud.episodes() if i in set(ids)]
    assert in_cloud == ids  # approval order, whichever sender delivered each


def test_an_edge_object_that_changed_fails_and_does_not_hold_back_the_queue(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=3)
    broken = approve(landed(w, s3))
    s3.put_object(Bucket=broken["bucket"], Key=broken["mcap_key"], Body=mcap_bytes())
    after = approve(landed(w, s3))
    drain_all(sync_settings())
    rows = sync_rows([broken["id"], after["id"]])
    assert rows[broken["id"]].state.value == "failed"
    assert "SHA-256" in (rows[broken["id"]].last_error or "")
    assert broken["id"] not in cloud.episodes()
    assert rows[after["id"]].state.value == "synced"
    _cloud_checksums_match(cloud, after)
