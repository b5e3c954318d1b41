"""The QA pipeline on a real MariaDB-backed Dagster instance and SeaweedFS: the landing
sensor registers real recordings, the hour's QA run decides them, the review gate's checks
flag what waits for an inspector, and evidence pictures land next to flagged recordings."""

from __future__ import annotations

import dagster as dg
from sqlalchemy import select

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.storage.layout import evidence_prefix
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.partitions import hour_window
from keystone_pipelines.defs.episodes.sensors import (
    inspection_decisions_sensor,
    landed_recordings_sensor,
)
from keystone_pipelines.qa.summary import hour_summary
from keystone_sim.recording import CAMERA_TOPIC, JOINT_TOPIC, Gap
from tests.api.world import auth, ok
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor


def _episodes(task_ids: list[str]) -> dict[str, Episode]:
    with get_sessionmaker()() as session:
        rows = session.execute(select(Episode).where(Episode.task_id.in_(task_ids))).scalars()
        return {e.task_id: e for e in rows}


def _run(job_name: str, request: dg.RunRequest, instance, keystone):  # type: ignore[no-untyped-def]
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(
        partition_key=request.partition_key,
        instance=instance,
        resources={"keystone": keystone},
        tags=request.tags,
    )
    assert result.success
    return result


def test_sensor_registers_and_the_hour_run_decides(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=4)
    good, _ = record_and_upload(w, s3, tmp_path, 0)
    missing, _ = record_and_upload(
        w, s3, tmp_path, 1, layout="spec", missing_topics=(CAMERA_TOPIC.format("head"),)
    )
    corrupt, corrupt_key = record_and_upload(w, s3, tmp_path, 0, corrupt_jpeg_fraction=0.3)
    gap, _ = record_and_upload(
        w, s3, tmp_path, 1, callbacks=False, gaps=(Gap(JOINT_TOPIC, 1.0, 1.2),)
    )
    tasks = [good["id"], missing["id"], corrupt["id"], gap["id"]]

    result = evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    episodes = _episodes(tasks)
    assert set(episodes) == set(tasks)
    assert all(
        e.status.value == "pending_qa" and e.registered_by == "sensor" for e in episodes.values()
    )
    assert episodes[missing["id"]].mcap_key.startswith("batches/")
    hours = {r.partition_key for r in result.run_requests}
    requests = {r.partition_key: r for r in result.run_requests}
    from keystone_pipelines.defs.episodes.partitions import hour_key

    hour = hour_key(episodes[good["id"]].landed_at)
    assert hour in hours

    run = _run("episode_qa_job", requests[hour], dagster_instance, keystone_resource)
    episodes = _episodes(tasks)
    assert episodes[good["id"]].status.value == "auto_approved"
    assert episodes[good["id"]].qa_score >= 0.9
    for task_id in (missing["id"], corrupt["id"], gap["id"]):
        assert episodes[task_id].status.value == "needs_inspection", task_id
        assert episodes[task_id].qa_score < 0.9
    detail = ok(
        w.client.get(f"/api/v1/episodes/{episodes[missing['id']].id}", headers=auth(w.admin))
    )
    failing = {c["name"] for c in detail["checks"] if not c["passed"]}
    assert "required_topics" in failing
    gap_checks = {
        c["name"]: c
        for c in ok(
            w.client.get(f"/api/v1/episodes/{episodes[gap['id']].id}", headers=auth(w.admin))
        )["checks"]
    }
    assert not gap_checks["gaps"]["passed"] and JOINT_TOPIC in gap_checks["gaps"]["detail"]

    # Evidence pictures next to the flagged recording.
    evidence = episodes[corrupt["id"]].evidence_keys
    assert evidence and all(k.startswith(evidence_prefix(corrupt_key.mcap_key)) for k in evidence)
    names = {k.rsplit("/", 1)[-1]: k for k in evidence}
    assert set(names) == {"timeline.png", "contact_sheet.jpg"}
    bucket = episodes[corrupt["id"]].bucket
    timeline = s3.get_object(Bucket=bucket, Key=names["timeline.png"])["Body"].read()
    assert timeline[:4] == b"\x89PNG"
    sheet = s3.get_object(Bucket=bucket, Key=names["contact_sheet.jpg"])["Body"].read()
    assert sheet[:2] == b"\xff\xd8"
    assert not episodes[good["id"]].evidence_keys  # only flagged episodes get pictures

    # The hour's materializations and checks agree with MySQL.
    with get_sessionmaker()() as session:
        summary = hour_summary(session, hour_window(hour)[0])
    mat = (
        dagster_instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("review_gate"), asset_partitions=[hour]),
            limit=1,
        )
        .records[0]
        .asset_materialization
    )
    assert mat.metadata["episodes_assessed"].value == summary.assessed
    assert mat.metadata["awaiting_inspection"].value == summary.awaiting_inspection >= 3
    assert "flagged" in mat.metadata
    checks = {e.check_name: e for e in run.get_asset_check_evaluations()}
    assert checks["awaiting_inspection"].passed is False
    assert checks["awaiting_inspection"].severity == dg.AssetCheckSeverity.WARN
    assert checks["qa_failure_rate"].passed is False  # 3 of 4 (at least) failed
    assert checks["stuck_pending_qa"].passed is True

    # Nothing left to do: the next tick asks for no run of this hour.
    again = evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    assert hour not in {r.partition_key for r in again.run_requests or []}


def test_inspector_decisions_rematerialize_the_gate(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=2)
    task, _ = record_and_upload(w, s3, tmp_path, 0, missing_topics=(JOINT_TOPIC,))
    tick = evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    episode = _episodes([task["id"]])[task["id"]]
    from keystone_pipelines.defs.episodes.partitions import hour_key

    hour = hour_key(episode.landed_at)
    _run(
        "episode_qa_job",
        next(r for r in tick.run_requests if r.partition_key == hour),
        dagster_instance,
        keystone_resource,
    )
    cursor_context = evaluate_sensor(
        inspection_decisions_sensor, dagster_instance, keystone_resource
    )
    cursor = cursor_context.cursor

    inspector = w.user("inspector")
    ok(
        w.client.post(
            f"/api/v1/episodes/{episode.id}/inspection",
            json={"decision": "reject", "reason": "no joints"},
            headers=auth(inspector),
        )
    )
    decided = evaluate_sensor(
        inspection_decisions_sensor, dagster_instance, keystone_resource, cursor
    )
    assert [r.partition_key for r in decided.run_requests] == [hour]
    _run("review_gate_job", decided.run_requests[0], dagster_instance, keystone_resource)
    mat = (
        dagster_instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("review_gate"), asset_partitions=[hour]),
            limit=1,
        )
        .records[0]
        .asset_materialization
    )
    with get_sessionmaker()() as session:
        summary = hour_summary(session, hour_window(hour)[0])
    assert mat.metadata["rejected"].value == summary.rejected >= 1
    # The same decisions do not ask again.
    again = evaluate_sensor(
        inspection_decisions_sensor, dagster_instance, keystone_resource, decided.cursor
    )
    assert not again.run_requests


def test_inspection_job_from_the_launchpad_records_the_same_decision(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=1)
    task, _ = record_and_upload(w, s3, tmp_path, 0, corrupt_jpeg_fraction=0.5)
    tick = evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    episode = _episodes([task["id"]])[task["id"]]
    from keystone_pipelines.defs.episodes.partitions import hour_key

    hour = hour_key(episode.landed_at)
    _run(
        "episode_qa_job",
        next(r for r in tick.run_requests if r.partition_key == hour),
        dagster_instance,
        keystone_resource,
    )
    job = defs.resolve_job_def("inspection_decision_job")
    inspector = f"inspector-ui-{episode.id[-8:]}"
    w.user("inspector", name=inspector)
    config = {
        "ops": {
            "record_inspection_decision": {
                "config": {
                    "episode_id": episode.id,
                    "decision": "approve",
                    "inspector": inspector,
                    "reason": "blur is acceptable",
                }
            }
        }
    }
    result = job.execute_in_process(
        run_config=config,
        instance=dagster_instance,
        resources={"keystone": keystone_resource},
    )
    assert result.success
    detail = ok(w.client.get(f"/api/v1/episodes/{episode.id}", headers=auth(w.admin)))
    assert detail["status"] == "inspector_approved"
    assert detail["decisions"][0]["source"] == "dagster"
    assert detail["decisions"][0]["inspector_name"] == inspector
    assert detail["sync"]["state"] == "queued"
    # Deciding again from the Launchpad fails the run with the API's 409 reason.
    again = job.execute_in_process(
        run_config=config,
        instance=dagster_instance,
        resources={"keystone": keystone_resource},
        raise_on_error=False,
    )
    assert not again.success
