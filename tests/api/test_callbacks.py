"""Robot callbacks with the recorder's exact bodies (axon-protocol.md section 3):
duplicates, conflicts, lost callbacks, wrong devices and tokens."""

from __future__ import annotations

import pytest

from tests.api.flows import callback, finish_body, land, robot_token, start_body, take_task
from tests.api.world import auth, ok


def _task_status(w, task_id: str) -> str:
    return ok(w.client.get(f"/api/v1/tasks/{task_id}", headers=auth(w.admin)))["status"]


@pytest.mark.parametrize("prefix", ["/api/v1", ""])
def test_both_callback_paths_accept_the_recorders_bodies(world, prefix) -> None:
    w = world
    w.order(target=2)
    _, task, cfg = take_task(w, 0)
    assert (
        ok(callback(w, "start", start_body(cfg), cfg["user_token"], prefix))["status"]
        == "in_progress"
    )
    # The recorder's extra fields (and any future ones) are accepted and kept.
    body = finish_body(cfg) | {"future_field": {"x": 1}}
    assert ok(callback(w, "finish", body, cfg["user_token"], prefix))["status"] == "uploading"
    detail = ok(w.client.get(f"/api/v1/tasks/{task['id']}", headers=auth(w.admin)))
    assert detail["finish_callback"]["message_count"] == 150
    assert detail["finish_callback"]["future_field"] == {"x": 1}


def test_duplicates_get_the_same_answer_and_conflicts_a_409(world) -> None:
    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    first = ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    dup = ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    assert dup == {**first, "duplicate": True}
    other = callback(w, "start", start_body(cfg, "2026-11-27T09:00:00Z"), cfg["user_token"])
    assert other.status_code == 409
    assert other.json()["error"]["details"]["current_status"] == "in_progress"

    ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))
    assert ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))["duplicate"] is True
    changed = callback(w, "finish", finish_body(cfg, size=999), cfg["user_token"])
    assert changed.status_code == 409
    assert _task_status(w, task["id"]) == "uploading"


def test_lost_start_finish_moves_pending_task_to_uploading(world) -> None:
    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    assert ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))["status"] == "uploading"
    detail = ok(w.client.get(f"/api/v1/tasks/{task['id']}", headers=auth(w.admin)))
    assert "start callback never arrived" in detail["transitions"][-1]["cause"]
    # The start arrives late (another thread of the recorder): facts kept, no step back.
    assert ok(callback(w, "start", start_body(cfg), cfg["user_token"]))["status"] == "uploading"


def test_lost_finish_the_landed_recording_alone_completes_the_task(world, s3) -> None:
    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    episode = land(w, s3, cfg)
    assert episode["status"] == "pending_qa"
    detail = ok(w.client.get(f"/api/v1/tasks/{task['id']}", headers=auth(w.admin)))
    assert detail["status"] == "completed"
    assert "finish callback not received" in detail["transitions"][-1]["cause"]
    # The finish arriving after the landing records its facts and changes nothing.
    assert ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))["status"] == "completed"


def test_no_callbacks_at_all_still_converges(world, s3) -> None:
    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    land(w, s3, cfg)
    assert _task_status(w, task["id"]) == "completed"
    # Registering the same landed recording again is idempotent: one episode.
    again = land(w, s3, cfg)
    episodes = ok(
        w.client.get(
            "/api/v1/episodes", params={"order_id": again["order_id"]}, headers=auth(w.admin)
        )
    )
    assert episodes["total"] == 1


def test_device_token_accepted_for_own_task_refused_for_others(world) -> None:
    w = world
    w.order(target=2)
    _, _, cfg0 = take_task(w, 0)
    _, _, cfg1 = take_task(w, 1)
    robot0 = robot_token(w.robots[0]["id"])
    assert ok(callback(w, "start", start_body(cfg0), robot0))["status"] == "in_progress"
    # Robot 0's token, robot 1's task (with robot 1's device id or its own): refused.
    assert callback(w, "start", start_body(cfg1), robot0).status_code == 403
    forged = start_body(cfg1) | {"device_id": cfg0["device_id"]}
    assert callback(w, "start", forged, robot0).status_code == 403
    # Task 0's user_token cannot be used for task 1.
    assert callback(w, "start", start_body(cfg1), cfg0["user_token"]).status_code == 403


def test_callbacks_need_a_robot_token(world) -> None:
    w = world
    w.order(target=1)
    collector_token, _, cfg = take_task(w, 0)
    assert callback(w, "start", start_body(cfg), "not-a-jwt").status_code == 401
    no_auth = w.client.post("/api/v1/callbacks/start", json=start_body(cfg))
    assert no_auth.status_code == 401
    assert no_auth.json()["error"]["code"] == "unauthorized"
    # People (even admins) cannot play robot and move tasks.
    assert callback(w, "start", start_body(cfg), collector_token).status_code == 403
    assert callback(w, "start", start_body(cfg), w.admin).status_code == 403


def test_robots_cannot_set_status_or_scores(world) -> None:
    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    bad = callback(w, "start", start_body(cfg) | {"status": "completed"}, cfg["user_token"])
    assert bad.status_code == 422
    assert "status" in bad.json()["error"]["message"]
    ok(callback(w, "start", start_body(cfg) | {"qa_score": 1.0}, cfg["user_token"]))
    assert _task_status(w, task["id"]) == "in_progress"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b | {"message_count": "many"}, "message_count"),
        (lambda b: b | {"finished_at": "yesterday"}, "finished_at"),
        (lambda b: {k: v for k, v in b.items() if k != "task_id"}, "task_id"),
    ],
)
def test_wrong_types_name_the_field(world, mutate, field) -> None:
    w = world
    w.order(target=1)
    _, _, cfg = take_task(w, 0)
    response = callback(w, "finish", mutate(finish_body(cfg)), cfg["user_token"])
    assert response.status_code == 422
    assert field in response.json()["error"]["message"]


def test_malformed_json_is_a_clear_422(world) -> None:
    w = world
    w.order(target=1)
    _, _, cfg = take_task(w, 0)
    response = w.client.post(
        "/api/v1/callbacks/start",
        content=b'{"task_id": ',
        headers=auth(cfg["user_token"]) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("malformed JSON")


def test_unknown_task_is_404(world) -> None:
    w = world
    w.order(target=1)
    _, _, cfg = take_task(w, 0)
    robot = robot_token(w.robots[0]["id"])
    body = start_body(cfg) | {"task_id": "01a21c1d-0000-7000-8000-000000000000"}
    assert callback(w, "start", body, robot).status_code == 404
