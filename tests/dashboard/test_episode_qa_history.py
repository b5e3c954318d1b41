"""The episode page's QA history in a real headless Chromium, on a real QA run (MariaDB,
SeaweedFS, Dagster): it names the spec version that judged the episode; an inspector's
Re-assess shows the preview first, then marks the episode with the reason given; after a
spec change the next run's decision shows the new version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.qa.models import QaReassessMark, QaReassessRequest
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.partitions import hour_key
from keystone_pipelines.defs.episodes.sensors import landed_recordings_sensor
from keystone_sim.recording import CAMERA_TOPIC
from tests.api.world import QA_SPEC, auth, ok
from tests.dashboard.pages import login, open_page, person
from tests.pipelines.recordings import record_and_upload
from tests.support.sensors import evaluate_sensor


def _run_hour(instance: Any, keystone: Any, hour: str) -> None:
    result = defs.resolve_job_def("episode_qa_job").execute_in_process(
        partition_key=hour, instance=instance, resources={"keystone": keystone}
    )
    assert result.success


def test_the_episode_page_shows_the_version_and_reassesses_after_a_preview(
    browser: Any, live_api: str, world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=1)
    task, _ = record_and_upload(w, s3, tmp_path, 0, missing_topics=(CAMERA_TOPIC.format("head"),))
    evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    with get_sessionmaker()() as session:
        episode = session.execute(select(Episode).where(Episode.task_id == task["id"])).scalar_one()
    hour = hour_key(episode.landed_at)
    _run_hour(dagster_instance, keystone_resource, hour)
    username, password = person(w, "inspector")
    with open_page(browser, live_api) as page:
        page.goto(f"/dashboard/episodes/{episode.id}")
        login(page, username, password)
        page.locator("#qa-version", has_text="Judged by spec version 1 (current: 1)").wait_for()
        assert page.locator("#qa-history-table tbody tr").count() == 1

        page.locator("#reassess").click()
        page.locator("#reassess-preview", has_text="Will re-assess this episode.").wait_for()
        with get_sessionmaker()() as session:  # the preview changed nothing
            assert session.get(QaReassessMark, episode.id) is None
        page.fill("#reassess-confirm input[name=reason]", "head camera optional now")
        page.locator("#reassess-confirm button[type=submit]").click()
        page.locator("#reassess-pending").wait_for()
        with get_sessionmaker()() as session:
            mark = session.get(QaReassessMark, episode.id)
            assert mark is not None
            request = session.get(QaReassessRequest, mark.request_id)
            assert request is not None
            assert (request.requested_by, request.reason) == (
                f"user:{username}",
                "head camera optional now",
            )

        spec = {**QA_SPEC, "required_topics": ["/joint_states"]}
        ok(w.client.patch(f"/api/v1/robot-types/{w.robot_type_id}", json={"qa_spec": spec},
                          headers=auth(w.admin)))  # fmt: skip
        _run_hour(dagster_instance, keystone_resource, hour)
        page.reload()
        page.locator("#qa-version", has_text="Judged by spec version 2 (current: 2)").wait_for()
        assert page.locator("#qa-history-table tbody tr").count() == 2
        newest = page.locator("#qa-history-table tbody tr").first
        assert "needs_inspection → auto_approved" in newest.inner_text()
        assert "head camera optional now" in newest.inner_text()


def test_the_episodes_page_reassesses_its_search_after_a_preview(
    browser: Any, live_api: str, world, s3, tmp_path, dagster_instance, keystone_resource
) -> None:
    w = world
    w.order(target=4)
    head = (CAMERA_TOPIC.format("head"),)
    tasks = [
        record_and_upload(w, s3, tmp_path, 0, missing_topics=head)[0],
        record_and_upload(w, s3, tmp_path, 1, missing_topics=head)[0],
        record_and_upload(w, s3, tmp_path, 0)[0],
    ]
    evaluate_sensor(landed_recordings_sensor, dagster_instance, keystone_resource)
    with get_sessionmaker()() as session:
        episodes = {
            e.task_id: e
            for e in session.execute(
                select(Episode).where(Episode.task_id.in_([t["id"] for t in tasks]))
            ).scalars()
        }
    _run_hour(dagster_instance, keystone_resource, hour_key(episodes[tasks[0]["id"]].landed_at))
    flagged = sorted(episodes[t["id"]].id for t in tasks[:2])
    username, password = person(w, "inspector")
    with open_page(browser, live_api) as page:
        # This world's scene: other tests' episodes share the database.
        page.goto(f"/dashboard/episodes?scene_id={w.scene_id}&failed_check=required_topics")
        login(page, username, password)
        page.locator("#reassess-list-button").click()
        page.locator(
            "#reassess-list-count", has_text="2 of 2 matching episodes will be re-assessed"
        ).wait_for()
        with get_sessionmaker()() as session:  # the preview marked nothing
            marks = select(QaReassessMark.episode_id).where(QaReassessMark.episode_id.in_(flagged))
            assert list(session.execute(marks).scalars()) == []
        page.fill("#reassess-list-confirm input[name=reason]", "camera spec under review")
        page.locator("#reassess-list-confirm button[type=submit]").click()
        page.locator("#reassess-list-done", has_text="2 episodes marked").wait_for()
        with get_sessionmaker()() as session:
            assert sorted(session.execute(marks).scalars()) == flagged
