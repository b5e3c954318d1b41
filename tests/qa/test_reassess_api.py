"""Re-assessment through the API on real assessed episodes (MariaDB, SeaweedFS, Dagster):
a filtered request's preview is exactly what is then marked and re-assessed; a spec change
that only re-weighs checks is re-decided on the stored results (preview of what would change);
bad filters are refused (422) naming what is wrong; spec changes make versions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.qa.models import QaReassessMark
from keystone_api.sync.models import EpisodeSync
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.partitions import hour_key
from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor
from keystone_sim.recording import CAMERA_TOPIC
from tests.api.world import QA_SPEC, auth, ok
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor

HEAD = CAMERA_TOPIC.format("head")


def _run_hour(instance: Any, keystone: Any, hour: str) -> None:
    result = defs.resolve_job_def("episode_qa_job").execute_in_process(
        partition_key=hour, instance=instance, resources={"keystone": keystone}
    )
    assert result.success


def _statuses(ids: list[str]) -> dict[str, str]:
    with get_sessionmaker()() as session:
        rows = session.execute(select(Episode.id, Episode.status).where(Episode.id.in_(ids)))
        return {i: s.value for i, s in rows}


def test_preview_is_what_is_reassessed_and_a_reweighed_spec_is_redecided(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=4)
    tasks = [
        record_and_upload(w, s3, tmp_path, 0)[0],
        record_and_upload(w, s3, tmp_path, 1, missing_topics=(HEAD,))[0],
        record_and_upload(w, s3, tmp_path, 0, missing_topics=(HEAD,))[0],
    ]
    evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    with get_sessionmaker()() as session:
        episodes = list(
            session.execute(
                select(Episode).where(Episode.task_id.in_([t["id"] for t in tasks]))
            ).scalars()
        )
    hour = hour_key(episodes[0].landed_at)
    _run_hour(dagster_instance, keystone_resource, hour)
    ids = [e.id for e in episodes]
    flagged = sorted(i for i, s in _statuses(ids).items() if s == "needs_inspection")
    assert len(flagged) == 2

    # Only the score's weights and critical checks change: decided again on stored results.
    spec = {**QA_SPEC, "critical_checks": ["structure"], "weights": {"required_topics": 0.0}}
    ok(w.client.patch(f"/api/v1/robot-types/{w.robot_type_id}", json={"qa_spec": spec},
                      headers=auth(w.admin)))  # fmt: skip
    change = ok(
        w.client.get(f"/api/v1/qa/robot-types/{w.robot_type_id}/spec-change", headers=auth(w.admin))
    )
    assert change["current_version"] == 2
    assert change["changed_fields"] == ["critical_checks", "weights"]
    assert change["rescored_from_stored_checks"] == 3 and change["needs_revalidation"] == 0
    assert sorted(c["episode_id"] for c in change["would_change"]) == flagged
    assert {c["new_decision"] for c in change["would_change"]} == {"auto_approved"}

    # A filtered request: the preview, then the same set marked.
    filt = {
        **change["reassess_filter"],
        "failed_check": "required_topics",
        "score_max": 0.9,
        "status": ["needs_inspection"],
    }
    preview = ok(w.client.post("/api/v1/qa/reassess", json={"filter": filt},
                               headers=auth(w.admin)))  # fmt: skip
    assert preview["preview"] is True and preview["request_id"] is None
    assert (preview["count"], sorted(preview["sample"])) == (2, flagged)
    with get_sessionmaker()() as session:  # a preview marks nothing
        marks = select(QaReassessMark.episode_id).where(QaReassessMark.episode_id.in_(ids))
        assert list(session.execute(marks).scalars()) == []
    done = ok(
        w.client.post(
            "/api/v1/qa/reassess",
            json={"filter": filt, "preview": False, "reason": "required topics re-weighed"},
            headers=auth(w.admin),
        )
    )
    assert (done["count"], sorted(done["sample"])) == (preview["count"], sorted(preview["sample"]))
    with get_sessionmaker()() as session:
        marked = set(
            session.execute(
                select(QaReassessMark.episode_id).where(
                    QaReassessMark.request_id == done["request_id"]
                )
            ).scalars()
        )
    assert sorted(marked) == flagged
    # Until the run records the new assessment, the old decision stands.
    assert {_statuses(flagged)[i] for i in flagged} == {"needs_inspection"}
    again = ok(w.client.post("/api/v1/qa/reassess", json={"filter": filt}, headers=auth(w.admin)))
    assert again["count"] == 0 and again["untouched"][0]["reason"] == "already_marked"

    _run_hour(dagster_instance, keystone_resource, hour)
    assert set(_statuses(flagged).values()) == {"auto_approved"}
    for episode_id in flagged:
        view = ok(w.client.get(f"/api/v1/qa/episodes/{episode_id}", headers=auth(w.admin)))
        assert [h["trigger"] for h in view["history"]] == ["reassess", "landing"]
        assert [h["spec_version"] for h in view["history"]] == [2, 1]
        assert view["latest"]["request_id"] == done["request_id"]
        assert view["latest"]["reason"] == "required topics re-weighed"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"filter": {}}, "at least one filter"),
        ({"filter": {"failed_check": "vibes"}}, "unknown check 'vibes'"),
        ({"filter": {"score_min": 0.8, "score_max": 0.2}}, "score_min is above score_max"),
        ({"filter": {"score_min": 1.5}}, "less than or equal to 1"),
        ({"filter": {"status": ["lost"]}}, "status"),
        ({"filter": {"status": ["pending_qa"]}}, "not assessed yet"),
        ({"filter": {"spec_version_below": 3}}, "needs robot_type_id"),
        (
            {
                "filter": {
                    "landed_after": "2026-01-02T00:00:00Z",
                    "landed_before": "2026-01-01T00:00:00Z",
                }
            },
            "landed_after must be before",
        ),
        ({"filter": {"robot": "x"}}, "robot"),
        ({"filter": {"episode_ids": ["a"]}, "preview": False}, "reason: required"),
        (
            {"filter": {"episode_ids": ["a"]}, "override_inspector": True},
            "reason: required to override",
        ),
    ],
)
def test_bad_requests_are_refused(world, body: dict[str, Any], says: str) -> None:
    response = world.client.post("/api/v1/qa/reassess", json=body, headers=auth(world.admin))
    assert response.status_code == 422, response.text
    assert says in response.text


def test_a_spec_change_makes_a_version_and_the_same_spec_does_not(world) -> None:
    w = world
    url = f"/api/v1/qa/robot-types/{w.robot_type_id}/spec-versions"
    first = ok(w.client.get(url, headers=auth(w.admin)))
    assert [(v["version"], v["spec"]) for v in first] == [(1, QA_SPEC)]
    patch = f"/api/v1/robot-types/{w.robot_type_id}"
    longer = {**QA_SPEC, "min_duration_s": 2}
    ok(w.client.patch(patch, json={"qa_spec": longer}, headers=auth(w.admin)))
    ok(w.client.patch(patch, json={"qa_spec": longer}, headers=auth(w.admin)))  # unchanged
    ok(w.client.patch(patch, json={"name": f"renamed {w.robot_type_id}"}, headers=auth(w.admin)))
    versions = ok(w.client.get(url, headers=auth(w.admin)))
    assert [(v["version"], v["spec"]) for v in versions] == [(2, longer), (1, QA_SPEC)]
    assert versions[0]["created_by"].startswith(("user:", "token:", "tool:"))
    # A spec the validator cannot read is refused, and makes no version.
    bad = w.client.patch(patch, json={"qa_spec": {"min_duration_s": -1}}, headers=auth(w.admin))
    assert bad.status_code == 422
    assert len(ok(w.client.get(url, headers=auth(w.admin)))) == 2
    missing = w.client.get("/api/v1/qa/robot-types/nope/spec-versions", headers=auth(w.admin))
    assert missing.status_code == 404


def test_a_tightened_spec_takes_back_an_approval_not_yet_synced(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=1)
    task = record_and_upload(w, s3, tmp_path, 0)[0]
    evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    with get_sessionmaker()() as session:
        episode = session.execute(select(Episode).where(Episode.task_id == task["id"])).scalar_one()
    hour = hour_key(episode.landed_at)
    _run_hour(dagster_instance, keystone_resource, hour)
    with get_sessionmaker()() as session:
        assert session.get(EpisodeSync, episode.id) is not None  # queued for the cloud
    # The recordings are 3 s long: a 10 s minimum fails them.
    spec = {**QA_SPEC, "min_duration_s": 10}
    ok(w.client.patch(f"/api/v1/robot-types/{w.robot_type_id}", json={"qa_spec": spec},
                      headers=auth(w.admin)))  # fmt: skip
    body = {"filter": {"episode_ids": [episode.id]}, "preview": False, "reason": "10 s minimum"}
    assert ok(w.client.post("/api/v1/qa/reassess", json=body, headers=auth(w.admin)))["count"] == 1
    _run_hour(dagster_instance, keystone_resource, hour)
    with get_sessionmaker()() as session:
        again = session.get(Episode, episode.id)
        assert again is not None and again.status.value == "needs_inspection"
        assert again.approved_at is None
        assert session.get(EpisodeSync, episode.id) is None  # no longer on its way
    detail = ok(w.client.get(f"/api/v1/episodes/{episode.id}", headers=auth(w.admin)))
    duration = next(c for c in detail["checks"] if c["name"] == "duration")
    assert not duration["passed"]  # the episode's checks are the latest assessment's
    assert detail["history"][-1]["cause"].startswith("re-assessment asked by")
