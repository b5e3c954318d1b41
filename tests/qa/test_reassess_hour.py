"""Re-assessing an hour from Dagster after a QA spec change (real MariaDB, SeaweedFS and a
MariaDB-backed Dagster instance): the hour's assessed episodes are decided again under the
new spec version, an inspector's decision stays, a synced episode keeps its status and sync,
and every assessment is kept with the versions it used; an admin's override with a reason
then re-decides the inspected one, recorded with who asked and why."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from sqlalchemy import select, update

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.qa.models import QaAssessment, QaReassessRequest
from keystone_api.sync.models import EpisodeSync, SyncState
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.partitions import hour_key
from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor
from keystone_pipelines.validator import VALIDATOR_VERSION
from keystone_pipelines.validator.score import FORMULA_VERSION
from keystone_sim.recording import CAMERA_TOPIC
from tests.api.world import QA_SPEC, auth, ok
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor

HEAD = CAMERA_TOPIC.format("head")


def _episode(task_id: str) -> Episode:
    with get_sessionmaker()() as session:
        return session.execute(select(Episode).where(Episode.task_id == task_id)).scalar_one()


def _history(episode_id: str) -> list[QaAssessment]:
    with get_sessionmaker()() as session:
        return list(
            session.execute(
                select(QaAssessment)
                .where(QaAssessment.episode_id == episode_id)
                .order_by(QaAssessment.assessed_at, QaAssessment.id)
            ).scalars()
        )


def _qa_run(instance, keystone, hour: str, config: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    job = defs.resolve_job_def("episode_qa_job")
    run_config = {"ops": {"episode_qa": {"config": config}}} if config else None
    result = job.execute_in_process(
        partition_key=hour,
        instance=instance,
        resources={"keystone": keystone},
        run_config=run_config,
    )
    assert result.success


def test_reassessing_an_hour_after_a_spec_change(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=6)
    tasks = {
        "good": record_and_upload(w, s3, tmp_path, 0)[0],
        "flagged": record_and_upload(w, s3, tmp_path, 1, missing_topics=(HEAD,))[0],
        "inspected": record_and_upload(w, s3, tmp_path, 0, missing_topics=(HEAD,))[0],
        "synced": record_and_upload(w, s3, tmp_path, 1)[0],
    }
    evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    ids = {name: _episode(t["id"]).id for name, t in tasks.items()}
    hour = hour_key(_episode(tasks["good"]["id"]).landed_at)
    _qa_run(dagster_instance, keystone_resource, hour)
    status = {name: _episode(t["id"]).status.value for name, t in tasks.items()}
    assert status == {
        "good": "auto_approved",
        "flagged": "needs_inspection",
        "inspected": "needs_inspection",
        "synced": "auto_approved",
    }
    # The first assessments name version 1 of the robot type's spec and the code's versions.
    first = _history(ids["flagged"])
    assert [(a.trigger, a.spec_version, a.decided_status) for a in first] == [
        ("landing", 1, "needs_inspection")
    ]
    assert (first[0].validator_version, first[0].formula_version) == (
        VALIDATOR_VERSION,
        FORMULA_VERSION,
    )
    inspector = w.user("inspector")
    ok(
        w.client.post(
            f"/api/v1/episodes/{ids['inspected']}/inspection",
            json={"decision": "reject", "reason": "head camera missing"},
            headers=auth(inspector),
        )
    )
    with get_sessionmaker()() as session, session.begin():
        session.execute(
            update(EpisodeSync)
            .where(EpisodeSync.episode_id == ids["synced"])
            .values(state=SyncState.synced, synced_at=datetime.now(UTC))
        )

    # The spec no longer requires the head camera: version 2.
    spec = {**QA_SPEC, "required_topics": ["/joint_states"]}
    ok(w.client.patch(f"/api/v1/robot-types/{w.robot_type_id}", json={"qa_spec": spec},
                      headers=auth(w.admin)))  # fmt: skip
    versions = ok(
        w.client.get(
            f"/api/v1/qa/robot-types/{w.robot_type_id}/spec-versions", headers=auth(w.admin)
        )
    )
    assert [v["version"] for v in versions] == [2, 1]
    change = ok(
        w.client.get(f"/api/v1/qa/robot-types/{w.robot_type_id}/spec-change", headers=auth(w.admin))
    )
    assert change["current_version"] == 2 and "required_topics" in change["changed_fields"]
    # Required topics need the recordings read again: all four were judged by version 1.
    assert change["needs_revalidation"] == 4 and change["would_change"] == []

    _qa_run(
        dagster_instance,
        keystone_resource,
        hour,
        {"reassess": True, "reason": "head camera optional now", "requested_by": "qa-lead"},
    )
    after = {name: _episode(t["id"]) for name, t in tasks.items()}
    assert after["flagged"].status.value == "auto_approved"  # decided again
    assert after["good"].status.value == "auto_approved"
    assert after["inspected"].status.value == "rejected"  # the inspector's decision stands
    assert after["synced"].status.value == "auto_approved"
    with get_sessionmaker()() as session:
        sync = session.get(EpisodeSync, ids["synced"])
        assert sync is not None and sync.state == SyncState.synced
        queued = session.get(EpisodeSync, ids["flagged"])
        assert queued is not None  # approved now: on its way to the cloud

    flagged = _history(ids["flagged"])
    assert [(a.trigger, a.spec_version, a.status_before, a.status_after) for a in flagged] == [
        ("landing", 1, "pending_qa", "needs_inspection"),
        ("reassess", 2, "needs_inspection", "auto_approved"),
    ]
    assert flagged[1].request_id is not None and flagged[1].held is None
    assert [a.trigger for a in _history(ids["inspected"])] == ["landing"]  # untouched
    synced = _history(ids["synced"])
    assert [(a.trigger, a.spec_version, a.held) for a in synced] == [
        ("landing", 1, None),
        ("reassess", 2, "synced"),
    ]
    with get_sessionmaker()() as session:
        request = session.get(QaReassessRequest, flagged[1].request_id)
        assert request is not None
        assert (request.requested_by, request.reason, request.source) == (
            "dagster:qa-lead",
            "head camera optional now",
            "dagster",
        )

    # The episode page's view: the latest decision and the version that judged it.
    view = ok(w.client.get(f"/api/v1/qa/episodes/{ids['flagged']}", headers=auth(w.admin)))
    assert view["latest"]["spec_version"] == 2 and view["current_spec_version"] == 2
    assert view["latest"]["requested_by"] == "dagster:qa-lead"
    assert len(view["history"]) == 2 and not view["reassess_pending"]

    # An inspector may not overrule inspectors; an admin may, with a reason, recorded.
    body = {
        "filter": {"episode_ids": [ids["inspected"]]},
        "preview": False,
        "reason": "spec was wrong",
        "override_inspector": True,
    }
    refused = w.client.post("/api/v1/qa/reassess", json=body, headers=auth(inspector))
    assert refused.status_code == 403
    preview = ok(
        w.client.post(
            "/api/v1/qa/reassess",
            json={"filter": {"episode_ids": [ids["inspected"]]}},
            headers=auth(w.admin),
        )
    )
    assert preview["count"] == 0
    assert [(u["reason"], u["sample"]) for u in preview["untouched"]] == [
        ("inspector_decided", [ids["inspected"]])
    ]
    done = ok(w.client.post("/api/v1/qa/reassess", json=body, headers=auth(w.admin)))
    assert (done["count"], done["sample"]) == (1, [ids["inspected"]])
    # The landing sensor asks for the hour's run: marked episodes are claimable work.
    tick = evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    assert hour in {r.partition_key for r in tick.run_requests or []}
    _qa_run(dagster_instance, keystone_resource, hour)
    assert _episode(tasks["inspected"]["id"]).status.value == "auto_approved"
    overridden = _history(ids["inspected"])[-1]
    assert (overridden.status_before, overridden.status_after) == ("rejected", "auto_approved")
    view = ok(w.client.get(f"/api/v1/qa/episodes/{ids['inspected']}", headers=auth(w.admin)))
    latest = view["latest"]
    assert latest["override_inspector"] is True and latest["reason"] == "spec was wrong"
    assert latest["requested_by"] not in ("", "dagster:qa-lead")


def test_reassessing_an_hour_needs_a_reason(dagster_instance, keystone_resource) -> None:
    job = defs.resolve_job_def("episode_qa_job")
    hour = hour_key(datetime.now(UTC))
    result = job.execute_in_process(
        partition_key=hour,
        instance=dagster_instance,
        resources={"keystone": keystone_resource},
        run_config={"ops": {"episode_qa": {"config": {"reassess": True}}}},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "reason: required" in failure.event_specific_data.error.message
