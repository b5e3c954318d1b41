"""Orders, batches and their statuses advancing by themselves."""

from __future__ import annotations

from tests.api.flows import callback, finish_body, record_one, record_qa, start_body, take_task
from tests.api.world import auth, ok


def _tasks(w, order_id: str) -> list[dict]:
    return ok(w.client.get("/api/v1/tasks", params={"order_id": order_id, "limit": 500},
                           headers=auth(w.admin)))["items"]


def _batches(w, order_id: str) -> list[dict]:
    return ok(w.client.get("/api/v1/batches", params={"order_id": order_id},
                           headers=auth(w.admin)))["items"]


def test_tasks_are_batched_per_fitting_workstation(world, client) -> None:
    w = world
    # A third workstation with a robot of another type gets nothing.
    other_type = w.post("/api/v1/robot-types", {"name": f"Other {w.factory_id}"})
    robot = w.post("/api/v1/robots",
                   {"factory_id": w.factory_id, "robot_type_id": other_type["id"]})
    w.post("/api/v1/workstations", {"factory_id": w.factory_id, "name": "WS-other",
                                    "robot_id": robot["id"]})
    order = w.order(target=7, batch_size=2)
    tasks = _tasks(w, order["id"])
    assert len(tasks) == 7
    per_ws = {}
    for t in tasks:
        per_ws.setdefault(t["workstation_id"], []).append(t)
    assert set(per_ws) == {ws["id"] for ws in w.workstations}
    assert sorted(len(v) for v in per_ws.values()) == [3, 4]
    batches = _batches(w, order["id"])
    assert all(sum(b["task_counts"].values()) <= 2 for b in batches)
    assert len(batches) == 4  # 4 tasks -> 2 batches, 3 tasks -> 2 batches


def test_order_without_a_fitting_workstation_waits_then_schedules(world, client) -> None:
    w = world
    for robot in w.robots:
        ok(client.patch(f"/api/v1/robots/{robot['id']}", json={"maintenance": True},
                        headers=auth(w.admin)))
    order = w.order(target=2)
    assert order["status"] == "pending" and _tasks(w, order["id"]) == []
    ok(client.patch(f"/api/v1/robots/{w.robots[0]['id']}", json={"maintenance": False},
                    headers=auth(w.admin)))
    created = ok(client.post(f"/api/v1/orders/{order['id']}/schedule", json={},
                             headers=auth(w.admin)))
    assert len(created) == 2
    current = ok(client.get(f"/api/v1/orders/{order['id']}", headers=auth(w.admin)))
    assert current["status"] == "active"


def test_pause_stops_handing_out_and_resume_restarts(world, client) -> None:
    w = world
    order = w.order(target=2)
    ok(client.post(f"/api/v1/orders/{order['id']}/pause", headers=auth(w.admin)))
    token = w.login(w.collectors[0]["username"], w.workstations[0]["id"])
    response = client.post(f"/api/v1/workstations/{w.workstations[0]['id']}/tasks/next",
                           headers=auth(token))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_task_available"
    assert client.post(f"/api/v1/orders/{order['id']}/pause",
                       headers=auth(w.admin)).status_code == 409
    ok(client.post(f"/api/v1/orders/{order['id']}/resume", headers=auth(w.admin)))
    ok(client.post(f"/api/v1/workstations/{w.workstations[0]['id']}/tasks/next",
                   headers=auth(token)))


def test_cancel_order_cancels_unstarted_tasks_and_lets_recordings_finish(world, client, s3) -> None:
    w = world
    order = w.order(target=4)
    _, recording, cfg = take_task(w, 0)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    cancelled = ok(client.post(f"/api/v1/orders/{order['id']}/cancel", headers=auth(w.admin)))
    assert cancelled["status"] == "cancelled"
    statuses = {t["id"]: t["status"] for t in _tasks(w, order["id"])}
    assert statuses.pop(recording["id"]) == "in_progress"
    assert set(statuses.values()) == {"cancelled"}
    assert ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))["status"] == "uploading"
    assert client.post(f"/api/v1/orders/{order['id']}/cancel",
                       headers=auth(w.admin)).status_code == 409


def test_batch_cancel_and_recall(world, client, s3) -> None:
    w = world
    order = w.order(target=2)
    episode = record_one(w, s3, 0)
    record_qa(episode["id"], 0.95)
    progress = ok(client.get(f"/api/v1/orders/{order['id']}/progress", headers=auth(w.admin)))
    assert progress["approved"] == 1 and progress["status"] == "active"
    other = next(b for b in _batches(w, order["id"]) if b["id"] != episode["batch_id"])
    cancelled = ok(client.post(f"/api/v1/batches/{other['id']}/cancel", headers=auth(w.admin)))
    assert cancelled["status"] == "cancelled" and cancelled["task_counts"] == {"cancelled": 1}
    # Recall the batch that produced the approved episode: it no longer counts.
    recalled = ok(client.post(f"/api/v1/batches/{episode['batch_id']}/recall",
                              headers=auth(w.admin)))
    assert recalled["episodes_recalled"] == 1 and recalled["batch"]["status"] == "recalled"
    detail = ok(client.get(f"/api/v1/episodes/{episode['id']}", headers=auth(w.admin)))
    assert detail["recalled"] is True
    progress = ok(client.get(f"/api/v1/orders/{order['id']}/progress", headers=auth(w.admin)))
    assert progress["approved"] == 0 and progress["recalled"] == 1
    # The order is short by two now: schedule tops it up.
    created = ok(client.post(f"/api/v1/orders/{order['id']}/schedule", json={},
                             headers=auth(w.admin)))
    assert len(created) == 2


def test_recall_of_a_completed_order_reopens_it(world, client, s3) -> None:
    w = world
    order = w.order(target=1)
    episode = record_one(w, s3, 0)
    record_qa(episode["id"], 1.0)
    done = ok(client.get(f"/api/v1/orders/{order['id']}", headers=auth(w.admin)))
    assert done["status"] == "completed"
    ok(client.post(f"/api/v1/batches/{episode['batch_id']}/recall", headers=auth(w.admin)))
    reopened = ok(client.get(f"/api/v1/orders/{order['id']}", headers=auth(w.admin)))
    assert reopened["status"] == "active"
    pending = [t for t in _tasks(w, order["id"]) if t["status"] == "pending"]
    assert len(pending) == 1


def test_failed_upload_is_retryable(world, client) -> None:
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.orders import task_states
    from keystone_api.orders.models import Task, TaskStatus

    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))
    with get_sessionmaker().begin() as session:  # the transfer gateway's upload_failed
        row = session.get(Task, task["id"])
        task_states.transition(session, row, TaskStatus.failed, "transfer", "disk full")
    retried = ok(client.post(f"/api/v1/tasks/{task['id']}/retry", json={"mode": "upload"},
                             headers=auth(w.admin)))
    assert retried["status"] == "uploading"


def test_target_change_tops_up(world, client) -> None:
    w = world
    order = w.order(target=2)
    ok(client.patch(f"/api/v1/orders/{order['id']}", json={"target_episodes": 5},
                    headers=auth(w.admin)))
    assert len(_tasks(w, order["id"])) == 5


def test_top_up_fills_the_open_batches_first(world, client) -> None:
    w = world
    order = w.order(target=3, batch_size=4)  # 2 + 1 tasks on the two workstations
    ok(client.patch(f"/api/v1/orders/{order['id']}", json={"target_episodes": 7},
                    headers=auth(w.admin)))
    tasks = _tasks(w, order["id"])
    assert sorted(t["sequence"] for t in tasks) == list(range(1, 8))
    assert sorted(sum(b["task_counts"].values()) for b in _batches(w, order["id"])) == [3, 4]


def test_an_orders_statements_do_not_grow_with_its_tasks(world, client) -> None:
    """Tasks are planned in memory and written in bulk: a query, a flush and an outbox
    insert per task made an order of 100,000 episodes hold its request for ten minutes."""
    from sqlalchemy import event

    from keystone_api.db.engine import get_engine

    counts: list[int] = []

    def count(*_args: object) -> None:
        counts[-1] += 1

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        for target in (4, 600):
            counts.append(0)
            order = world.order(target=target, batch_size=5)
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert counts[1] <= counts[0] + 2, counts
    assert ok(client.get("/api/v1/batches", params={"order_id": order["id"], "limit": 1},
                         headers=auth(world.admin)))["total"] == 120
    assert len({t["id"] for t in _tasks(world, order["id"])}) == 500  # the page's limit
