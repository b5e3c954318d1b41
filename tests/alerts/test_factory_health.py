"""The factory_health asset on the MariaDB-backed Dagster instance: its checks are the four
alerts, with the API's evaluation and the specified severities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dagster as dg

from keystone_api.db.base import utcnow
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.operations.jobs import factory_health_schedule
from tests.alerts import seed
from tests.alerts.seed import alert
from tests.api.world import World


def _materialize(instance: Any, keystone: Any, factory_id: str | None) -> Any:
    job = defs.resolve_job_def("factory_health_job")
    config = {"ops": {"factory_health": {"config": {"factory_id": factory_id}}}}
    result = job.execute_in_process(
        run_config=config if factory_id else None,
        instance=instance,
        resources={"keystone": keystone},
    )
    assert result.success
    return result


def test_factory_health_checks_are_the_alerts(
    world: World, s3: Any, dagster_instance: Any, keystone_resource: Any
) -> None:
    w = world
    w.order(target=50)
    seed.landed_ago(w, s3, minutes=60)
    seed.daemon_reports(w.robots[0]["id"], pending=7)  # upload queue: 7 > 5
    task = seed.in_progress(w, 1)
    seed.age_task(task, utcnow() - timedelta(minutes=45))  # no uploads for 45 min

    result = _materialize(dagster_instance, keystone_resource, w.factory_id)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"upload_queue", "qa_failure_rate", "uploads_flowing", "sync_queue"}
    assert not checks["upload_queue"].passed
    assert checks["upload_queue"].severity == dg.AssetCheckSeverity.WARN
    assert checks["upload_queue"].metadata["worst_value"].value == 7
    assert not checks["uploads_flowing"].passed
    assert checks["uploads_flowing"].severity == dg.AssetCheckSeverity.ERROR
    assert checks["qa_failure_rate"].passed and checks["sync_queue"].passed
    # The same verdicts as the API's.
    for name, check in (("UploadQueueHigh", "upload_queue"), ("NoUploads", "uploads_flowing")):
        assert alert(w, name)["state"] == ("ok" if checks[check].passed else "firing")

    (mat,) = result.asset_materializations_for_node("factory_health")
    assert mat.metadata["factories"].value == 1
    assert mat.metadata["alerts_firing"].value == 2
    # Stored on the MariaDB-backed instance, check evaluations included.
    stored = dagster_instance.get_latest_materialization_event(dg.AssetKey("factory_health"))
    assert stored is not None and stored.run_id == result.run_id
    check_key = dg.AssetCheckKey(dg.AssetKey("factory_health"), "uploads_flowing")
    latest = dagster_instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [check_key]
    )[check_key]
    assert latest.run_id == result.run_id

    # The schedule's run (every factory) lists this one among the firing factories.
    everyone = _materialize(dagster_instance, keystone_resource, None)
    checks = {e.check_name: e for e in everyone.get_asset_check_evaluations()}
    assert w.factory_id in checks["upload_queue"].metadata["firing_factories"].value


def test_the_schedule_asks_for_a_run_every_five_minutes(dagster_instance: Any) -> None:
    assert factory_health_schedule.cron_schedule == "*/5 * * * *"
    assert factory_health_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    context = dg.build_schedule_context(instance=dagster_instance)
    requests = factory_health_schedule.evaluate_tick(context).run_requests
    assert requests is not None and len(requests) == 1
