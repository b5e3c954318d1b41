"""Operator events of Dagster runs, on the real MariaDB-backed instance (the repo's
dagster.yaml: run retries on) and the real sensors: a failure names its step's error and is
resolved by the retry that succeeds; a run that refused its input (the Launchpad's
inspection job given a bad config) fails once and pages nobody; an interrupted run
(Ctrl-C) pages nobody either (test_interrupted_runs.py)."""

from __future__ import annotations

import uuid
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import update

from keystone_api.db.base import utcnow
from keystone_api.db.engine import get_sessionmaker
from keystone_api.registry.models import Factory
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.operations.sensors import (
    pipeline_failure_sensor,
    pipeline_recovery_sensor,
)
from tests.pipelines import run_targets
from tests.pipelines.operator_events import WILL_RETRY, events_of, sensor_tick


def _decide(instance, keystone, **config: Any) -> dg.ExecuteInProcessResult:  # type: ignore[no-untyped-def]
    return defs.resolve_job_def("inspection_decision_job").execute_in_process(
        run_config={"ops": {"record_inspection_decision": {"config": config}}},
        instance=instance,
        resources={"keystone": keystone},
        raise_on_error=False,
    )


def _flagged_episode(w, s3, tmp_path, instance, keystone) -> str:  # type: ignore[no-untyped-def]
    """An episode awaiting inspection, through the real landing sensor and QA run."""
    from keystone_pipelines.defs.episodes.partitions import hour_key
    from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor
    from tests.pipelines.recordings import record_and_upload
    from tests.pipelines.test_qa_pipeline import _episodes, _run
    from tests.support.sensors import evaluate_sensor

    w.order(target=1)
    task, _ = record_and_upload(w, s3, tmp_path, 0, corrupt_jpeg_fraction=0.5)
    tick = evaluate_sensor(landed_recordings_sensor, instance, keystone)
    episode = _episodes([task["id"]])[task["id"]]
    hour = hour_key(episode.landed_at)
    _run(
        "episode_qa_job",
        next(r for r in tick.run_requests if r.partition_key == hour),
        instance,
        keystone,
    )
    assert _episodes([task["id"]])[task["id"]].status.value == "needs_inspection"
    return episode.id


def test_bad_inspection_configs_fail_once_without_an_event_and_a_good_one_names_its_inspector(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    from tests.api.world import auth, ok

    w = world
    episode_id = _flagged_episode(w, s3, tmp_path, dagster_instance, keystone_resource)
    w.user("inspector", name=f"insp-{uuid.uuid4().hex[:8]}")
    inspector = list(w.passwords)[-1]
    collector = w.collectors[0]["username"]

    # Values the config's types refuse make no run at all (the Launchpad will not launch).
    runs_before = len(dagster_instance.get_runs())
    for config in (
        {"episode_id": episode_id, "decision": "maybe", "inspector": inspector},
        {"episode_id": episode_id, "decision": "approve"},  # no inspector
    ):
        with pytest.raises(dg.DagsterInvalidConfigError):
            _decide(dagster_instance, keystone_resource, **config)
    assert len(dagster_instance.get_runs()) == runs_before

    refused = {
        "unknown episode": {"episode_id": str(uuid.uuid4()), "inspector": inspector},
        "empty episode id": {"episode_id": " ", "inspector": inspector},
        "empty inspector": {"episode_id": episode_id, "inspector": ""},
        "nobody's username": {"episode_id": episode_id, "inspector": "dagster-ui"},
        "a collector": {"episode_id": episode_id, "inspector": collector},
        "reject without reason": {
            "episode_id": episode_id,
            "inspector": inspector,
            "decision": "reject",
        },
    }
    failed: dict[str, str] = {}
    for name, config in refused.items():
        result = _decide(dagster_instance, keystone_resource, **{"decision": "approve", **config})
        assert not result.success, name
        run = dagster_instance.get_run_by_id(result.run_id)
        # Failed once: the run-retry daemon will not relaunch it (dagster.yaml retries twice).
        assert run.tags[WILL_RETRY] == "false", name
        tick = sensor_tick(
            pipeline_failure_sensor,
            dg.DagsterEventType.RUN_FAILURE,
            dagster_instance,
            keystone_resource,
            result.run_id,
        )
        assert isinstance(tick, dg.SkipReason) and "rejected_input" in tick.skip_message, name
        failed[name] = result.run_id
    # The Launchpad user reads why in the run's step failure.
    assert "not found" in _step_error(dagster_instance, failed["unknown episode"])
    assert "inspector 'dagster-ui'" in _step_error(dagster_instance, failed["nobody's username"])
    assert events_of(set(failed.values())) == []
    detail = ok(w.client.get(f"/api/v1/episodes/{episode_id}", headers=auth(w.admin)))
    assert detail["status"] == "needs_inspection" and detail["decisions"] == []

    good = _decide(
        dagster_instance,
        keystone_resource,
        episode_id=episode_id,
        decision="approve",
        inspector=inspector,
        reason="blur is acceptable",
    )
    assert good.success
    detail = ok(w.client.get(f"/api/v1/episodes/{episode_id}", headers=auth(w.admin)))
    assert detail["status"] == "inspector_approved"
    (decision,) = detail["decisions"]
    assert decision["source"] == "dagster" and decision["inspector_name"] == inspector

    # Deciding again: the episode is no longer awaiting inspection (the wrong state).
    again = _decide(
        dagster_instance,
        keystone_resource,
        episode_id=episode_id,
        decision="reject",
        inspector=inspector,
        reason="changed my mind",
    )
    assert not again.success
    assert dagster_instance.get_run_by_id(again.run_id).tags[WILL_RETRY] == "false"
    assert isinstance(
        sensor_tick(
            pipeline_failure_sensor,
            dg.DagsterEventType.RUN_FAILURE,
            dagster_instance,
            keystone_resource,
            again.run_id,
        ),
        dg.SkipReason,
    )
    assert events_of({again.run_id}) == []
    assert len(dagster_instance.get_runs()) == runs_before + len(refused) + 2


def _step_error(instance, run_id: str) -> str:  # type: ignore[no-untyped-def]
    (entry,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    return str(entry.dagster_event.step_failure_data.user_failure_data.description)


def _retry(job, instance, parent_id: str, root_id: str) -> dg.JobExecutionResult:  # type: ignore[no-untyped-def]
    """A re-execution from failure, as the run-retry daemon launches it."""
    with dg.execute_job(
        job,
        instance,
        reexecution_options=dg.ReexecutionOptions.from_failure(parent_id, instance),
        # The run group's tags, as the daemon's and the UI's re-executions carry them
        # (execute_job sets only the run's fields; Dagster finds run groups by these tags).
        tags={"dagster/parent_run_id": parent_id, "dagster/root_run_id": root_id},
    ) as result:
        return result


def _archived(factory_id: str, archived: bool) -> None:
    with get_sessionmaker()() as session, session.begin():
        session.execute(
            update(Factory)
            .where(Factory.id == factory_id)
            .values(archived_at=utcnow() if archived else None)
        )


def test_a_failure_names_its_step_error_and_the_retry_that_succeeds_resolves_it(
    world, dagster_instance, keystone_resource
) -> None:
    job = dg.reconstructable(run_targets.factory_health_job)
    config = {"ops": {"factory_health": {"config": {"factory_id": world.factory_id}}}}
    _archived(world.factory_id, True)  # what the run is asked about is gone: it fails
    try:
        with dg.execute_job(job, dagster_instance, run_config=config) as first:
            assert not first.success
            first_id = first.run_id
    finally:
        _archived(world.factory_id, False)
    run = dagster_instance.get_run_by_id(first_id)
    # Not a refusal of input by the job's own rules: dagster.yaml's run retries apply.
    assert run.tags[WILL_RETRY] == "true"
    tick = sensor_tick(
        pipeline_failure_sensor,
        dg.DagsterEventType.RUN_FAILURE,
        dagster_instance,
        keystone_resource,
        first_id,
    )
    assert tick is None
    (event,) = events_of({first_id})
    assert event.resolved_at is None
    assert event.title == "Dagster run of factory_health_job failed at step factory_health"
    first_line = event.detail.splitlines()[0]
    assert first_line == f"NotFound: factory '{world.factory_id}' not found"
    assert "Steps failed" not in event.detail
    assert event.data["root_run_id"] == first_id and event.data["step_key"] == "factory_health"
    with get_sessionmaker()() as session:
        from keystone_api.alerts.service import current_alerts

        alert = next(a for a in current_alerts(session) if a.event_id == event.id)
    assert alert.name == "PipelineRunFailed" and first_line in alert.description

    # A retry that fails again updates the run's event: one alert for one thing broken.
    _archived(world.factory_id, True)
    try:
        failed_retry = _retry(job, dagster_instance, first_id, first_id)
    finally:
        _archived(world.factory_id, False)
    assert not failed_retry.success
    sensor_tick(
        pipeline_failure_sensor,
        dg.DagsterEventType.RUN_FAILURE,
        dagster_instance,
        keystone_resource,
        failed_retry.run_id,
    )
    (again,) = events_of({first_id, failed_retry.run_id})
    assert again.id == event.id and again.resolved_at is None
    assert again.data["failed_runs"] == [first_id, failed_retry.run_id]

    # The next retry succeeds.
    retry = _retry(job, dagster_instance, failed_retry.run_id, first_id)
    assert retry.success
    retry_id = retry.run_id
    assert dagster_instance.get_run_by_id(retry_id).root_run_id == first_id
    assert (
        sensor_tick(
            pipeline_recovery_sensor,
            dg.DagsterEventType.RUN_SUCCESS,
            dagster_instance,
            keystone_resource,
            retry_id,
        )
        is None
    )
    (event,) = events_of({first_id})
    assert event.resolved_at is not None
    assert event.data["resolved_by_run_id"] == retry_id
    # The failure seen again (a late tick) does not open a new event: the group succeeded.
    late = sensor_tick(
        pipeline_failure_sensor,
        dg.DagsterEventType.RUN_FAILURE,
        dagster_instance,
        keystone_resource,
        first_id,
    )
    assert isinstance(late, dg.SkipReason)
    assert [e.id for e in events_of({first_id})] == [event.id]


def test_a_success_that_is_no_retry_resolves_nothing(dagster_instance, keystone_resource) -> None:
    with dg.execute_job(dg.reconstructable(run_targets.factory_health_job), dagster_instance) as r:
        assert r.success
        run_id = r.run_id
    tick = sensor_tick(
        pipeline_recovery_sensor,
        dg.DagsterEventType.RUN_SUCCESS,
        dagster_instance,
        keystone_resource,
        run_id,
    )
    assert isinstance(tick, dg.SkipReason)
