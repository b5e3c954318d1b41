"""Claims: two runs on the same episodes assess each once; a run killed midway loses nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from keystone_api.db.base import utcnow
from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode, EpisodeStatusChange
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.partitions import hour_key, hour_window
from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor, qa_run_requests
from keystone_pipelines.qa.episode_claims import claim
from keystone_pipelines.qa.run import run_qa
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor


def _register(world, s3, tmp_path, instance, keystone, n: int) -> list[Episode]:  # type: ignore[no-untyped-def]
    world.order(target=n)
    tasks = [record_and_upload(world, s3, tmp_path, i % 2)[0]["id"] for i in range(n)]
    evaluate_sensor(landed_recordings_sensor, instance, keystone)
    with get_sessionmaker()() as session:
        return list(session.execute(select(Episode).where(Episode.task_id.in_(tasks))).scalars())


def _decisions(episode_ids: list[str]) -> dict[str, int]:
    with get_sessionmaker()() as session:
        rows = session.execute(
            select(EpisodeStatusChange.episode_id, func.count())
            .where(
                EpisodeStatusChange.episode_id.in_(episode_ids),
                EpisodeStatusChange.from_status == "pending_qa",
            )
            .group_by(EpisodeStatusChange.episode_id)
        ).all()
    return dict(rows)


def test_two_runs_on_the_same_hour_assess_each_episode_once(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    episodes = _register(world, s3, tmp_path, dagster_instance, keystone_resource, 6)
    start, end = hour_window(hour_key(episodes[0].landed_at))
    reports = {}

    def run(token: str) -> None:
        reports[token] = run_qa(
            keystone_resource.sessions(),
            keystone_resource.s3(),
            keystone_resource.settings(),
            start,
            end,
            token,
            workers=2,
            batch=2,
        )

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    ids = [e.id for e in episodes]
    assert _decisions(ids) == dict.fromkeys(ids, 1)
    mine = [a.episode_id for r in reports.values() for a in r.assessed if a.episode_id in ids]
    assert sorted(mine) == sorted(ids)  # every episode by exactly one of the runs
    with get_sessionmaker()() as session:
        attempts = session.execute(select(Episode.qa_attempts).where(Episode.id.in_(ids))).scalars()
        assert set(attempts) == {1}


def test_a_run_killed_midway_leaves_no_episode_lost(
    world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    episodes = _register(world, s3, tmp_path, dagster_instance, keystone_resource, 3)
    ids = [e.id for e in episodes]
    hour = hour_key(episodes[0].landed_at)
    start, end = hour_window(hour)
    sessions = keystone_resource.sessions()
    # A run claims everything, then dies before recording a single result.
    dead = claim(sessions, start, end, "killed-run", lease_s=900)
    assert set(ids) <= set(dead)
    # While its claims hold, another run takes none of them ...
    report = run_qa(
        sessions, keystone_resource.s3(), keystone_resource.settings(), start, end, "second-run"
    )
    assert not {a.episode_id for a in report.assessed} & set(ids)
    # ... and once they expire, the sensor asks for a new run, which assesses them all.
    with sessions.begin() as session:
        session.execute(
            update(Episode)
            .where(Episode.qa_claim_token == "killed-run")
            .values(qa_claimed_until=utcnow() - timedelta(seconds=1))
        )
    requests = qa_run_requests(keystone_resource, dagster_instance)
    request = next(r for r in requests if r.partition_key == hour)
    result = defs.resolve_job_def("episode_qa_job").execute_in_process(
        partition_key=hour,
        instance=dagster_instance,
        resources={"keystone": keystone_resource},
        tags=request.tags,
    )
    assert result.success
    assert _decisions(ids) == dict.fromkeys(ids, 1)
