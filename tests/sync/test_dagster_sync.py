"""The sync in Dagster: the sensor asks for a drain run when episodes are due, the run
delivers them to the cloud instance and materializes the approval hours it touched, and
the queue-depth check is reported."""

from __future__ import annotations

import dagster as dg

from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.partitions import hour_key
from keystone_pipelines.defs.sync.sensors import cloud_sync_sensor
from keystone_pipelines.resources import KeystoneResource
from tests.support.sensors import evaluate_sensor
from tests.sync.helpers import approve, drain_all, flag, landed, sync_rows


def _resource(base: KeystoneResource, settings) -> KeystoneResource:  # type: ignore[no-untyped-def]
    fields = {
        k: getattr(base, k)
        for k in (
            "database_url",
            "s3_endpoint_url",
            "s3_access_key",
            "s3_secret_key",
            "qa_max_wait_s",
        )
    }
    return KeystoneResource(
        **fields,
        **{
            "cloud_api_url": settings.cloud_api_url,
            "cloud_service_token": settings.cloud_service_token.get_secret_value(),
            "cloud_s3_endpoint_url": settings.cloud_s3_endpoint_url,
            "cloud_s3_access_key": settings.cloud_s3_access_key,
            "cloud_s3_secret_key": settings.cloud_s3_secret_key.get_secret_value(),
            "cloud_bucket": settings.cloud_bucket,
        },
    )


def test_sensor_run_delivers_approved_episodes_and_materializes_hours(
    world, s3, cloud, drained, sync_settings, keystone_resource, dagster_instance
) -> None:
    keystone = _resource(keystone_resource, sync_settings())
    w = world
    w.order(target=3)
    good = [approve(landed(w, s3)), approve(landed(w, s3, station=1))]
    flagged = flag(landed(w, s3))

    tick = evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone)
    assert len(tick.run_requests) == 1
    checks = [e for e in tick.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
    assert checks and checks[0].check_name == "sync_queue_depth" and checks[0].passed

    result = defs.resolve_job_def("cloud_sync_job").execute_in_process(
        instance=dagster_instance, resources={"keystone": keystone}, tags=tick.run_requests[0].tags
    )
    assert result.success
    in_cloud = cloud.episodes()
    assert {e["id"] for e in good} <= set(in_cloud)
    assert flagged["id"] not in in_cloud
    rows = sync_rows([e["id"] for e in good])
    assert {r.state.value for r in rows.values()} == {"synced"}
    hour = hour_key(next(iter(rows.values())).approved_at)
    mats = [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert any(m.partition == hour and m.metadata["synced"].value >= 2 for m in mats)
    # Nothing due any more: the next tick asks for no run.
    assert not evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone).run_requests


def test_sensor_skips_when_no_cloud_is_configured(keystone_resource, dagster_instance) -> None:
    tick = evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone_resource)
    assert not tick.run_requests
    assert "not configured" in tick.skip_reason.skip_message


def test_a_failed_episode_never_asks_for_a_run_until_it_is_requeued(
        world, s3, cloud, drained, sync_settings, keystone_resource, dagster_instance) -> None:
    """A failed episode needs a person: no run for it, however many ticks (it was asked
    for every five minutes, as if the cloud were down); re-queued, it is due again."""
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.sync.models import EpisodeSync, SyncState
    from tests.api.world import auth, ok

    keystone = _resource(keystone_resource, sync_settings())
    w = world
    w.order(target=1)
    episode = approve(landed(w, s3))
    with get_sessionmaker().begin() as session:  # refused by the cloud: needs a person
        row = session.get(EpisodeSync, episode["id"])
        row.state = SyncState.failed
        row.next_attempt_at = None
    drain_all(sync_settings())  # push the world's replica changes; the episode stays put
    assert sync_rows([episode["id"]])[episode["id"]].state == SyncState.failed
    cursor = None
    for _ in range(3):
        tick = evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone, cursor)
        assert not tick.run_requests
        cursor = tick.cursor
    body = {"episode_ids": [episode["id"]]}
    queued = ok(w.client.post("/api/v1/sync/queue", json=body, headers=auth(w.admin)))
    assert queued["queued"] == 1
    again = evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone, cursor)
    assert len(again.run_requests) == 1
