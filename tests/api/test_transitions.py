"""Every illegal transition is refused with a 409 naming the current state, and every legal
one is recorded with time, actor and cause."""

from __future__ import annotations

import itertools

import pytest

from keystone_api.episodes import states as episode_states
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.errors import Conflict
from keystone_api.orders import task_states
from keystone_api.orders.models import Task, TaskStatus, TaskTransition
from tests.api.flows import callback, finish_body, record_one, start_body, take_task
from tests.api.world import auth, ok

TASK_PAIRS = list(itertools.permutations(TaskStatus, 2))
EPISODE_PAIRS = list(itertools.permutations(EpisodeStatus, 2))

# The lifecycle of the original system, written out independently of the code's table.
LEGAL_TASK = {
    ("pending", "ready"),
    ("pending", "in_progress"),
    ("pending", "uploading"),
    ("pending", "completed"),
    ("pending", "cancelled"),
    ("ready", "pending"),
    ("ready", "in_progress"),
    ("ready", "uploading"),
    ("ready", "completed"),
    ("ready", "cancelled"),
    ("in_progress", "pending"),
    ("in_progress", "uploading"),
    ("in_progress", "completed"),
    ("in_progress", "failed"),
    ("uploading", "completed"),
    ("uploading", "failed"),
    ("failed", "uploading"),
    ("failed", "pending"),
    ("failed", "completed"),
    ("cancelled", "completed"),
}
LEGAL_EPISODE = {
    ("pending_qa", "auto_approved"),
    ("pending_qa", "needs_inspection"),
    ("needs_inspection", "inspector_approved"),
    ("needs_inspection", "rejected"),
    ("auto_approved", "rejected"),  # a spot check's rejection (guarded in inspection.decide)
}


@pytest.mark.parametrize(("current", "target"), TASK_PAIRS, ids=lambda s: s.value)
def test_task_state_machine(db, current: TaskStatus, target: TaskStatus) -> None:
    task = Task(
        id=f"t-{current.value}-{target.value}"[:36],
        order_id="o",
        batch_id="b",
        workstation_id="w",
        sop_id="s",
        status=current,
    )
    legal = (current.value, target.value) in LEGAL_TASK
    if legal:
        assert task_states.transition(db, task, target, "test:actor", "because")
        assert task.status == target
        record = [o for o in db.new if isinstance(o, TaskTransition)][-1]
        assert (record.from_status, record.to_status, record.actor, record.cause) == (
            current.value,
            target.value,
            "test:actor",
            "because",
        )
        assert record.at is not None
    else:
        with pytest.raises(Conflict) as info:
            task_states.transition(db, task, target, "test:actor")
        assert info.value.status_code == 409
        assert info.value.details["current_status"] == current.value
        assert task.status == current
    db.expunge_all()


@pytest.mark.parametrize(("current", "target"), EPISODE_PAIRS, ids=lambda s: s.value)
def test_episode_state_machine(db, current: EpisodeStatus, target: EpisodeStatus) -> None:
    episode = Episode(id="e", status=current)
    if (current.value, target.value) in LEGAL_EPISODE:
        episode_states.transition(db, episode, target, "test:actor")
        assert episode.status == target
        assert (episode.approved_at is not None) == (target in episode_states.APPROVED)
    else:
        with pytest.raises(Conflict) as info:
            episode_states.transition(db, episode, target, "test:actor")
        assert info.value.details["current_status"] == current.value
    db.expunge_all()


def test_illegal_transitions_over_http_answer_409_with_the_state(world, s3) -> None:
    w = world
    w.order(target=2)
    episode = record_one(w, s3, 0)
    task_id = episode["task_id"]
    # Completed tasks cannot be cancelled, released or retried.
    for action, body in (("cancel", {}), ("release", {}), ("retry", {"mode": "upload"})):
        response = w.client.post(
            f"/api/v1/tasks/{task_id}/{action}", json=body, headers=auth(w.admin)
        )
        assert response.status_code == 409, action
        assert response.json()["error"]["details"]["current_status"] == "completed"
    # An episode still pending QA cannot be inspected.
    response = w.client.post(
        f"/api/v1/episodes/{episode['id']}/inspection",
        json={"decision": "approve"},
        headers=auth(w.admin),
    )
    assert response.status_code == 409
    assert response.json()["error"]["details"]["current_status"] == "pending_qa"
    # A cancelled task refuses a start.
    _, task, cfg = take_task(w, 1)
    ok(
        w.client.post(
            f"/api/v1/tasks/{task['id']}/cancel", json={"reason": "test"}, headers=auth(w.admin)
        )
    )
    response = callback(w, "start", start_body(cfg), cfg["user_token"])
    assert response.status_code == 409
    assert response.json()["error"]["details"]["current_status"] == "cancelled"


def test_released_task_returns_to_pending_and_can_be_handed_out_again(world) -> None:
    w = world
    w.order(target=1)
    token, task, cfg = take_task(w, 0)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    released = ok(
        w.client.post(
            f"/api/v1/tasks/{task['id']}/release",
            json={"reason": "recording cancelled"},
            headers=auth(token),
        )
    )
    assert released["status"] == "pending" and released["started_at"] is None
    _, again, cfg2 = take_task(w, 0)
    assert again["id"] == task["id"]
    # A new recording of the same task: its start is a new one, not a conflict.
    restart = start_body(cfg2, "2026-11-27T08:05:00Z")
    assert ok(callback(w, "start", restart, cfg2["user_token"]))["status"] == "in_progress"
    assert ok(callback(w, "finish", finish_body(cfg2), cfg2["user_token"]))["status"] == "uploading"
