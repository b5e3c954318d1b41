"""A spot-checked episode waits for the inspector before sync: the real sync sensor asks
for no run while it is held, the drain does not send it and its hour's review gate shows it
waiting; once the inspector approves, the sensor asks for a run and that run delivers it to
the cloud instance."""

from __future__ import annotations

import dagster as dg

from keystone_api.episodes.models import Episode
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.checks import gate_checks
from keystone_pipelines.defs.sync.sensors import cloud_sync_sensor
from keystone_pipelines.qa.summary import hour_summary
from keystone_pipelines.resources import KeystoneResource
from tests.api.world import auth, ok
from tests.inspection.helpers import approved, episode, inspect, spot_share
from tests.support.sensors import evaluate_sensor
from tests.sync.helpers import drain_all, sync_rows
from tests.sync.test_dagster_sync import _resource


def _gate(keystone: KeystoneResource, episode_id: str) -> dg.AssetCheckResult:
    """The awaiting_inspection check of the hour the episode landed in."""
    with keystone.sessions()() as session:
        landed = session.get(Episode, episode_id)
        assert landed is not None
        hour = landed.landed_at.replace(minute=0, second=0, microsecond=0)
        summary = hour_summary(session, hour)
    (check,) = [c for c in gate_checks(summary, keystone) if c.check_name == "awaiting_inspection"]
    return check


def _waiting(check: dg.AssetCheckResult) -> int:
    # The session's other tests land episodes in the same hour (flagged ones, spot checks of
    # their own): this test counts its own by the difference it makes.
    return int(check.metadata["spot_checks_waiting"].value)


def test_a_spot_check_is_synced_only_after_the_inspector_approves(
    world, s3, cloud, drained, sync_settings, keystone_resource, dagster_instance
) -> None:
    keystone = _resource(keystone_resource, sync_settings())
    w = world
    w.order(target=3)
    spot_share(w, 1.0)
    held = approved(w, s3)
    assert episode(w, held)["spot_check"]["held"] is True
    before = _gate(keystone, held)
    assert not before.passed and _waiting(before) >= 1  # the hour's gate waits for the inspector

    drain_all(sync_settings())  # the world's records (orders, tasks) go to the cloud
    assert held not in cloud.episodes() and sync_rows([held]) == {}
    tick = evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone)
    assert not tick.run_requests  # nothing due: the held episode is not in the queue
    assert "nothing due" in tick.skip_reason.skip_message

    ok(inspect(w, w.user("inspector"), held, "approve"))
    tick = evaluate_sensor(cloud_sync_sensor, dagster_instance, keystone)
    assert len(tick.run_requests) == 1
    result = defs.resolve_job_def("cloud_sync_job").execute_in_process(
        instance=dagster_instance, resources={"keystone": keystone}, tags=tick.run_requests[0].tags
    )
    assert result.success
    assert held in cloud.episodes()
    assert _waiting(_gate(keystone, held)) == _waiting(before) - 1
    assert sync_rows([held])[held].state.value == "synced"
    detail = ok(w.client.get(f"/api/v1/episodes/{held}", headers=auth(w.admin)))
    assert detail["status"] == "auto_approved" and detail["spot_check"]["decision"] == "approve"
