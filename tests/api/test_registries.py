"""Registries: create, read, list with pagination and filters, update, delete/archive."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.flows import take_task
from tests.api.world import auth, ok


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def test_crud_pagination_and_filters(world, client) -> None:
    w = world
    for i in range(5):
        w.post("/api/v1/scenes", {"factory_id": w.factory_id, "name": f"Zone {i}"})
    page1 = ok(client.get("/api/v1/scenes", params={"factory_id": w.factory_id, "limit": 2},
                          headers=auth(w.admin)))
    page2 = ok(client.get("/api/v1/scenes", params={"factory_id": w.factory_id, "limit": 2,
                                                    "offset": 2}, headers=auth(w.admin)))
    assert page1["total"] == 6 and len(page1["items"]) == 2 and len(page2["items"]) == 2
    assert not {s["id"] for s in page1["items"]} & {s["id"] for s in page2["items"]}
    named = ok(client.get("/api/v1/scenes", params={"factory_id": w.factory_id,
                                                    "name_contains": "Zone 3"},
                          headers=auth(w.admin)))
    assert [s["name"] for s in named["items"]] == ["Zone 3"]
    scene = named["items"][0]
    patched = ok(client.patch(f"/api/v1/scenes/{scene['id']}", json={"description": "north"},
                              headers=auth(w.admin)))
    assert patched["description"] == "north"
    assert ok(client.delete(f"/api/v1/scenes/{scene['id']}", headers=auth(w.admin))) == {
        "id": scene["id"], "outcome": "deleted"}
    assert client.get(f"/api/v1/scenes/{scene['id']}", headers=auth(w.admin)).status_code == 404


def test_referenced_rows_are_archived_and_open_work_refuses(world, client) -> None:
    w = world
    w.order(target=2)
    response = client.delete(f"/api/v1/scenes/{w.scene_id}", headers=auth(w.admin))
    assert response.status_code == 409
    assert "open" in response.json()["error"]["message"]
    # A robot type referenced by robots and subscenes is archived, not deleted.
    outcome = ok(client.delete(f"/api/v1/robot-types/{w.robot_type_id}", headers=auth(w.admin)))
    assert outcome["outcome"] == "archived"
    # Filtered by its name: the session's database holds every other test's robot types.
    name = ok(client.get(f"/api/v1/robot-types/{w.robot_type_id}", headers=auth(w.admin)))["name"]
    listed = ok(client.get("/api/v1/robot-types", params={"name_contains": name},
                           headers=auth(w.admin)))["items"]
    assert w.robot_type_id not in {r["id"] for r in listed}
    archived = ok(client.get("/api/v1/robot-types",
                             params={"include_archived": True, "name_contains": name},
                             headers=auth(w.admin)))["items"]
    assert w.robot_type_id in {r["id"] for r in archived}
    # Nothing new can be made on an archived robot type.
    response = client.post("/api/v1/robots", json={"factory_id": w.factory_id,
                                                   "robot_type_id": w.robot_type_id},
                           headers=auth(w.admin))
    assert response.status_code == 409 and "archived" in response.json()["error"]["message"]


def test_subscene_requires_a_robot_type_and_skills_of_the_org(world, client) -> None:
    w = world
    response = client.post("/api/v1/subscenes", json={"scene_id": w.scene_id, "name": "x"},
                           headers=auth(w.admin))
    assert response.status_code == 422
    assert "robot_type_id" in response.json()["error"]["message"]
    sub = w.post("/api/v1/subscenes", {"scene_id": w.scene_id, "robot_type_id": w.robot_type_id,
                                       "name": "Sink", "skill_ids": [w.skill_id]})
    assert sub["skill_ids"] == [w.skill_id]
    other_org = w.post("/api/v1/organizations", {"name": f"Other {w.factory_id}"})
    foreign = w.post("/api/v1/skills", {"organization_id": other_org["id"], "name": "x"})
    response = client.patch(f"/api/v1/subscenes/{sub['id']}", json={"skill_ids": [foreign["id"]]},
                            headers=auth(w.admin))
    assert response.status_code == 422 and "another organization" in response.text


def test_operations_are_the_ordered_steps_of_a_skill(world, client) -> None:
    w = world
    for pos, name in ((2, "fold"), (1, "grasp"), (3, "place")):
        w.post("/api/v1/operations", {"skill_id": w.skill_id, "position": pos, "name": name})
    steps = ok(client.get("/api/v1/operations", params={"skill_id": w.skill_id},
                          headers=auth(w.admin)))["items"]
    assert [s["name"] for s in steps] == ["grasp", "fold", "place"]
    dup = client.post("/api/v1/operations", json={"skill_id": w.skill_id, "position": 1,
                                                  "name": "again"}, headers=auth(w.admin))
    assert dup.status_code == 409


def test_sops_are_versioned_and_tasks_keep_theirs(world, client) -> None:
    w = world
    w.order(target=1)
    _, task, cfg = take_task(w, 0)
    v2 = ok(client.patch(f"/api/v1/sops/{w.sop_id}", json={"steps": ["grasp", "fold", "smooth"]},
                         headers=auth(w.admin)))
    assert v2["id"] != w.sop_id and v2["version_number"] == 2
    old = ok(client.get(f"/api/v1/sops/{w.sop_id}", headers=auth(w.admin)))
    assert old["archived_at"] is not None and old["steps"] == ["grasp", "fold"]
    kept = ok(client.get(f"/api/v1/tasks/{task['id']}", headers=auth(w.admin)))
    assert kept["sop_id"] == w.sop_id
    assert cfg["sop_id"] == w.sop_id
    # New orders must use the current version.
    response = client.post("/api/v1/orders", json={"factory_id": w.factory_id,
                                                   "subscene_id": w.subscene_id,
                                                   "sop_id": w.sop_id, "target_episodes": 1},
                           headers=auth(w.admin))
    assert response.status_code == 409
    assert client.patch(f"/api/v1/sops/{w.sop_id}", json={"content": "x"},
                        headers=auth(w.admin)).status_code == 409


def test_robot_type_lists_topics_and_validates_qa_spec(world, client) -> None:
    w = world
    rt = ok(client.get(f"/api/v1/robot-types/{w.robot_type_id}", headers=auth(w.admin)))
    assert rt["topics"][0]["name"] == "/joint_states"
    assert rt["qa_spec"]["min_duration_s"] == 1
    bad = client.post("/api/v1/robot-types", json={"name": "bad-topics",
                                                   "topics": [{"name": "no-slash"}]},
                      headers=auth(w.admin))
    assert bad.status_code == 422 and "topics" in bad.json()["error"]["message"]


def test_workstation_pairing_history_and_breaks(world, client) -> None:
    w = world
    ws = w.workstations[0]["id"]
    token = w.login(w.collectors[0]["username"], ws)
    assert ok(client.get(f"/api/v1/workstations/{ws}", headers=auth(token)))["status"] == "idle"
    assert ok(client.post(f"/api/v1/workstations/{ws}/break/start",
                          headers=auth(token)))["status"] == "on_break"
    w.order(target=1)
    response = client.post(f"/api/v1/workstations/{ws}/tasks/next", headers=auth(token))
    assert response.status_code == 409 and "break" in response.json()["error"]["message"]
    assert ok(client.post(f"/api/v1/workstations/{ws}/break/end",
                          headers=auth(token)))["status"] == "idle"
    # Re-pair with the other robot: the robot is at the other station, so refused.
    response = client.put(f"/api/v1/workstations/{ws}/pairing",
                          json={"robot_id": w.robots[1]["id"],
                                "data_collector_id": w.collectors[0]["id"]},
                          headers=auth(w.admin))
    assert response.status_code == 409
    ok(client.put(f"/api/v1/workstations/{ws}/pairing",
                  json={"robot_id": w.robots[0]["id"], "data_collector_id": None},
                  headers=auth(w.admin)))
    history = ok(client.get(f"/api/v1/workstations/{ws}/pairings", headers=auth(w.admin)))
    assert len(history) == 3  # robot only, robot + collector, robot only again
    assert history[0]["ended_at"] is None and all(h["ended_at"] for h in history[1:])


def test_heartbeat_and_maintenance_drive_availability(world, client) -> None:
    w = world
    rid = w.robots[0]["id"]
    assert ok(client.get(f"/api/v1/robots/{rid}", headers=auth(w.admin)))["online"] is False
    assert ok(client.post(f"/api/v1/robots/{rid}/heartbeat", headers=auth(w.admin)))["available"]
    ok(client.patch(f"/api/v1/robots/{rid}", json={"maintenance": True}, headers=auth(w.admin)))
    robot = ok(client.get(f"/api/v1/robots/{rid}", headers=auth(w.admin)))
    assert robot["online"] is True and robot["available"] is False
    # A robot in maintenance gets no new orders' tasks.
    order = w.order(target=4)
    tasks = ok(client.get("/api/v1/tasks", params={"order_id": order["id"]},
                          headers=auth(w.admin)))["items"]
    assert {t["workstation_id"] for t in tasks} == {w.workstations[1]["id"]}


def test_unknown_ids_wrong_types_and_unknown_fields_are_named(world, client) -> None:
    w = world
    missing = client.get("/api/v1/scenes/01a21c1d-0000-7000-8000-000000000000",
                         headers=auth(w.admin))
    assert missing.status_code == 404 and "scene" in missing.json()["error"]["message"]
    response = client.post("/api/v1/scenes", json={"factory_id": "nope", "name": "x"},
                           headers=auth(w.admin))
    assert response.status_code == 404 and "factory" in response.json()["error"]["message"]
    response = client.post("/api/v1/orders", json={"factory_id": w.factory_id, "subscene_id":
                                                   w.subscene_id, "sop_id": w.sop_id,
                                                   "target_episodes": "lots"},
                           headers=auth(w.admin))
    assert response.status_code == 422 and "target_episodes" in response.json()["error"]["message"]
    response = client.post("/api/v1/scenes", json={"factory_id": w.factory_id, "name": "x",
                                                   "colour": "red"}, headers=auth(w.admin))
    assert response.status_code == 422 and "colour" in response.json()["error"]["message"]
    response = client.get("/api/v1/scenes", params={"limit": 100000}, headers=auth(w.admin))
    assert response.status_code == 422 and "limit" in response.json()["error"]["message"]


def test_oversized_bodies_are_refused(world, client) -> None:
    w = world
    huge = {"factory_id": w.factory_id, "name": "x", "description": "y" * 2_000_000}
    response = client.post("/api/v1/scenes", json=huge, headers=auth(w.admin))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: the limit applies to the streamed body too
        for _ in range(40):
            yield b"y" * 65536

    response = client.post("/api/v1/scenes", content=chunks(),
                           headers=auth(w.admin) | {"Content-Type": "application/json"})
    assert response.status_code == 413
