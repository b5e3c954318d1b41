"""The whole collection flow, step by step, over real HTTP on MariaDB and SeaweedFS."""

from __future__ import annotations

from tests.api.flows import callback, finish_body, land, record_qa, start_body, take_task
from tests.api.world import auth, ok


def test_collection_flow_from_registries_to_order_progress(world, client, s3) -> None:
    w = world
    order = w.order(target=2)
    assert order["status"] == "active"
    batches = ok(
        client.get("/api/v1/batches", params={"order_id": order["id"]}, headers=auth(w.admin))
    )["items"]
    assert {b["workstation_id"] for b in batches} == {ws["id"] for ws in w.workstations}
    assert all(b["status"] == "pending" for b in batches)

    # Collector at station 0 gets a task; asking again returns the same one.
    token, task, cfg = take_task(w, 0)
    again = ok(
        client.post(
            f"/api/v1/workstations/{w.workstations[0]['id']}/tasks/next", headers=auth(token)
        )
    )
    assert again["id"] == task["id"]
    assert cfg["task_id"] == task["id"] and cfg["device_id"] == w.robots[0]["device_id"]
    assert cfg["start_callback_url"].endswith("/api/v1/callbacks/start")
    assert cfg["finish_callback_url"].endswith("/api/v1/callbacks/finish")
    assert set(cfg) >= {
        "task_id",
        "device_id",
        "data_collector_id",
        "order_id",
        "factory",
        "scene",
        "subscene",
        "skills",
        "sop_id",
        "topics",
        "start_callback_url",
        "finish_callback_url",
        "user_token",
    }
    assert cfg["skills"] == ["fold towel"] and cfg["scene"] == "Kitchen"
    ws = ok(client.get(f"/api/v1/workstations/{w.workstations[0]['id']}", headers=auth(token)))
    assert ws["status"] == "recording"

    # The recorder's callbacks, with the task's user_token.
    started = ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    assert started == {"task_id": task["id"], "status": "in_progress", "duplicate": False}
    finished = ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))
    assert finished["status"] == "uploading"
    batch = ok(client.get(f"/api/v1/batches/{task['batch_id']}", headers=auth(w.admin)))
    assert batch["status"] == "active"  # with its first finished task

    # The recording lands and is verified: the task completes, the episode is pending_qa.
    episode = land(w, s3, cfg)
    assert episode["status"] == "pending_qa" and episode["task_id"] == task["id"]
    detail = ok(client.get(f"/api/v1/tasks/{task['id']}", headers=auth(w.admin)))
    assert detail["status"] == "completed" and detail["episode_id"] == episode["id"]
    assert [t["to_status"] for t in detail["transitions"]] == [
        "in_progress",
        "uploading",
        "completed",
    ]

    # QA (as the Dagster run does, through the service): a low score goes to an inspector.
    record_qa(episode["id"], 0.5, failing=("gaps",))
    queue = ok(client.get("/api/v1/inspection/queue", headers=auth(w.admin)))["items"]
    mine = [q for q in queue if q["episode"]["id"] == episode["id"]]
    assert mine and [c["name"] for c in mine[0]["failing_checks"]] == ["gaps"]

    inspector = w.user("inspector")
    approved = ok(
        client.post(
            f"/api/v1/episodes/{episode['id']}/inspection",
            json={"decision": "approve", "reason": "gap is a pause"},
            headers=auth(inspector),
        )
    )
    assert approved["status"] == "inspector_approved"
    again = client.post(
        f"/api/v1/episodes/{episode['id']}/inspection",
        json={"decision": "reject", "reason": "changed my mind"},
        headers=auth(inspector),
    )
    assert again.status_code == 409
    assert again.json()["error"]["details"]["current_status"] == "inspector_approved"

    # A second episode, auto-approved, completes the order (target 2) and closes its batches.
    token1, task1, cfg1 = take_task(w, 1)
    ok(callback(w, "start", start_body(cfg1), cfg1["user_token"]))
    ok(callback(w, "finish", finish_body(cfg1), cfg1["user_token"]))
    ep1 = land(w, s3, cfg1)
    record_qa(ep1["id"], 0.97)
    progress = ok(client.get(f"/api/v1/orders/{order['id']}/progress", headers=auth(w.admin)))
    assert progress["approved"] == 2 and progress["status"] == "completed"
    assert progress["remaining"] == 0 and progress["percent_complete"] == 100.0
    batches = ok(
        client.get("/api/v1/batches", params={"order_id": order["id"]}, headers=auth(w.admin))
    )["items"]
    assert all(b["status"] in ("completed", "cancelled") for b in batches)

    detail = ok(client.get(f"/api/v1/episodes/{episode['id']}", headers=auth(inspector)))
    assert [h["to_status"] for h in detail["history"]] == [
        "pending_qa",
        "needs_inspection",
        "inspector_approved",
    ]
    assert detail["decisions"][0]["decision"] == "approve"
    assert detail["sync"]["state"] == "queued"
    assert detail["sidecar"]["recording"]["duration_sec"] == 30.0
    links = ok(client.get(f"/api/v1/episodes/{episode['id']}/downloads", headers=auth(inspector)))
    assert {link["name"] for link in links["links"]} == {"mcap", "sidecar"}


def test_a_rejection_creates_a_replacement_task(world, client, s3) -> None:
    from tests.api.flows import record_one

    w = world
    order = w.order(target=1)
    episode = record_one(w, s3, 0)
    record_qa(episode["id"], 0.3, failing=("image_integrity",))
    inspector = w.user("inspector")
    ok(
        client.post(
            f"/api/v1/episodes/{episode['id']}/inspection",
            json={"decision": "reject", "reason": "frames corrupt"},
            headers=auth(inspector),
        )
    )
    tasks = ok(
        client.get("/api/v1/tasks", params={"order_id": order["id"]}, headers=auth(w.admin))
    )["items"]
    replacement = [t for t in tasks if t["replaces_task_id"] == episode["task_id"]]
    assert len(replacement) == 1 and replacement[0]["status"] == "pending"
    assert replacement[0]["workstation_id"] == w.workstations[0]["id"]
    progress = ok(client.get(f"/api/v1/orders/{order['id']}/progress", headers=auth(w.admin)))
    assert progress["status"] == "active" and progress["approved"] == 0
