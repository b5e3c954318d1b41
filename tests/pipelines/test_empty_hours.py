"""What the Dagster UI shows for an hour is true of that hour: the landing sensor materializes
an hour in which nothing landed as empty (so "Missing" means not processed yet), and the
asset checks are evaluated per partition, counting only the episodes that landed in it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import dagster as dg
from sqlalchemy import func, select, update

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.empty_hours import HOURS_PER_TICK
from keystone_pipelines.defs.episodes.partitions import first_hour, hour_key, hour_window
from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor, qa_run_requests
from keystone_sim.recording import JOINT_TOPIC
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor

EPISODE_ASSETS = ("landed_recordings", "episode_qa", "review_gate")
HOUR_CHECKS = {
    ("episode_qa", "stuck_pending_qa"),
    ("review_gate", "qa_failure_rate"),
    ("review_gate", "awaiting_inspection"),
}


def _land_in(hour: datetime, task_ids: list[str]) -> None:
    """Move registered episodes into a past hour, as if their recordings had landed then."""
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Episode)
            .where(Episode.task_id.in_(task_ids))
            .values(landed_at=hour + timedelta(minutes=20))
        )


def _recorded_in(hour: datetime, w, s3, tmp, instance, keystone, **defects) -> str:  # type: ignore[no-untyped-def]
    """A real recording, registered by the landing sensor, moved into `hour`: its task id."""
    w.order(target=1)
    task, _ = record_and_upload(w, s3, tmp, 0, **defects)
    evaluate_sensor(landed_recordings_sensor, instance, keystone)
    _land_in(hour, [task["id"]])
    return str(task["id"])


def _count(hour: datetime, *where) -> int:  # type: ignore[no-untyped-def]
    start, end = hour_window(hour_key(hour))
    with get_sessionmaker()() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(Episode)
                .where(Episode.landed_at >= start, Episode.landed_at < end, *where)
            ).scalar_one()
        )


def _latest(instance, asset: str, hour: str) -> dg.AssetMaterialization | None:  # type: ignore[no-untyped-def]
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[hour]), limit=1
    ).records
    return records[0].asset_materialization if records else None


def _evaluations(instance, asset: str, check: str, hour: str) -> list[dg.AssetCheckEvaluation]:  # type: ignore[no-untyped-def]
    key = dg.AssetCheckKey(dg.AssetKey(asset), check)
    history = instance.event_log_storage.get_asset_check_execution_history(key, limit=200)
    return [
        r.event.dagster_event.event_specific_data
        for r in history
        if r.partition == hour and r.event is not None and r.event.dagster_event is not None
    ]


def test_an_hour_in_which_nothing_landed_is_materialized_as_empty(
    world, s3, tmp_path, keystone_resource
) -> None:
    # An instance of its own: the session's shared one may already hold these hours,
    # materialized by a daemon another test ran (and the sensor rightly skips those).
    dagster_instance = dg.DagsterInstance.ephemeral()
    # One recording lands in the second hour of the partitions; the first stays empty.
    first = first_hour()
    _recorded_in(
        first + timedelta(hours=1), world, s3, tmp_path, dagster_instance, keystone_resource
    )

    tick = evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    for event in tick.asset_events:  # as the daemon stores a tick's events
        dagster_instance.report_runless_asset_event(event)

    looked_at = [first + timedelta(hours=i) for i in range(HOURS_PER_TICK)]
    looked_at = [
        h for h in looked_at if h + timedelta(hours=1, minutes=5) <= datetime.now(first.tzinfo)
    ]
    reported = {(e.asset_key.to_user_string(), e.partition) for e in tick.asset_events}
    for hour in looked_at:
        key = hour_key(hour)
        empty = _count(hour) == 0
        assert {(a, key) in reported for a in EPISODE_ASSETS} == {empty}, key
    empty_key, landed_key = hour_key(first), hour_key(first + timedelta(hours=1))
    assert _count(first) == 0 and _count(first + timedelta(hours=1)) == 1

    # The empty hour is materialized (not "Missing") and says it was empty ...
    for asset in EPISODE_ASSETS:
        mat = _latest(dagster_instance, asset, empty_key)
        assert mat is not None, asset
        assert mat.metadata["empty"].value is True
        assert mat.metadata["episodes_landed"].value == 0
        assert "Nothing landed in this hour" in (mat.description or "")
        assert empty_key in dagster_instance.get_materialized_partitions(dg.AssetKey(asset))
    # ... its checks pass, for that hour ...
    checks = [e for e in tick.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
    assert {
        (c.asset_key.to_user_string(), c.check_name) for c in checks if c.partition == empty_key
    } == HOUR_CHECKS
    assert all(c.passed for c in checks)
    (stored,) = _evaluations(dagster_instance, "review_gate", "awaiting_inspection", empty_key)
    assert stored.passed and stored.metadata["episodes_in_hour"].value == 0
    # ... and the hour with a recording is left to its QA run.
    assert not {(a, landed_key) for a in EPISODE_ASSETS} & reported
    assert landed_key in {r.partition_key for r in tick.run_requests or []}

    # Each hour is looked at once: the next tick starts where this one stopped.
    cursor = json.loads(tick.cursor)
    assert cursor["empty_from"] == hour_key(looked_at[-1] + timedelta(hours=1))
    again = evaluate_sensor(
        landed_recordings_sensor, dagster_instance, keystone_resource, tick.cursor
    )
    assert not {e.partition for e in again.asset_events} & {hour_key(h) for h in looked_at}


def test_checks_carry_their_partition_and_count_only_their_hour(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    # Two flagged recordings land in one hour, a good one in the next.
    world.order(target=3)
    flagged = [
        record_and_upload(world, s3, tmp_path, i, missing_topics=(JOINT_TOPIC,))[0] for i in (0, 1)
    ]
    good, _ = record_and_upload(world, s3, tmp_path, 0)
    evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    busy, calm = first_hour() + timedelta(hours=3), first_hour() + timedelta(hours=4)
    _land_in(busy, [t["id"] for t in flagged])
    _land_in(calm, [good["id"]])

    runs = {}
    for hour in (busy, calm):
        runs[hour] = defs.resolve_job_def("episode_qa_job").execute_in_process(
            partition_key=hour_key(hour),
            instance=dagster_instance,
            resources={"keystone": keystone_resource},
        )
        assert runs[hour].success

    waiting = EpisodeStatus.needs_inspection
    assert (
        _count(busy, Episode.status == waiting) == 2
        and _count(calm, Episode.status == waiting) == 0
    )
    with get_sessionmaker()() as session:
        queue = session.execute(
            select(func.count()).select_from(Episode).where(Episode.status == waiting)
        ).scalar_one()
    assert queue >= 2  # the whole inspection queue is not what an hour's check counts

    for hour, run in runs.items():
        key = hour_key(hour)
        evaluations = run.get_asset_check_evaluations()
        assert {(e.asset_key.to_user_string(), e.check_name) for e in evaluations} == HOUR_CHECKS
        assert {e.partition for e in evaluations} == {key}
    busy_gate = _evaluations(dagster_instance, "review_gate", "awaiting_inspection", hour_key(busy))
    calm_gate = _evaluations(dagster_instance, "review_gate", "awaiting_inspection", hour_key(calm))
    assert busy_gate[0].passed is False
    assert busy_gate[0].metadata["awaiting_inspection"].value == 2
    assert busy_gate[0].metadata["episodes_in_hour"].value == 2
    assert calm_gate[0].passed is True  # though the queue holds the busy hour's two
    assert calm_gate[0].metadata["awaiting_inspection"].value == 0
    assert calm_gate[0].metadata["episodes_in_hour"].value == 1
    (busy_rate,) = [
        e for e in runs[busy].get_asset_check_evaluations() if e.check_name == "qa_failure_rate"
    ]
    (calm_rate,) = [
        e for e in runs[calm].get_asset_check_evaluations() if e.check_name == "qa_failure_rate"
    ]
    assert busy_rate.metadata["failure_rate"].value == 1.0 and not busy_rate.passed
    assert calm_rate.metadata["failure_rate"].value == 0.0 and calm_rate.passed


def test_a_recording_from_before_the_start_is_named_not_run(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    # Its hour is no partition: a run for it could not start; the sensor says why instead.
    early = first_hour() - timedelta(hours=2)
    task_id = _recorded_in(early, world, s3, tmp_path, dagster_instance, keystone_resource)
    warnings: list[str] = []
    requests = qa_run_requests(keystone_resource, dagster_instance, warnings.append)
    assert hour_key(early) not in {r.partition_key for r in requests}
    assert len(warnings) == 1
    assert "landed before KEYSTONE_PARTITIONS_START" in warnings[0]
    assert hour_key(early) in warnings[0]
    # Put back in a partition, it is assessed as any other.
    _land_in(first_hour() + timedelta(hours=5), [task_id])
    requests = qa_run_requests(keystone_resource, dagster_instance, warnings.append)
    assert hour_key(first_hour() + timedelta(hours=5)) in {r.partition_key for r in requests}
