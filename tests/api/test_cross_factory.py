"""Every principal of factory B on factory A's objects: every route of the API that names
an object, each verb, each kind of principal B has (its admin, operator, inspector,
collector, floor display, sync service and robot). None may read or change anything of A:
the answer is 404 (A's ids are not even confirmed), 403 (the role may not do this at all)
or a refused body, never a success and never a server error."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.flows import record_one, robot_token
from tests.api.world import World, auth, build_world, ok, tool_token

# Shared on purpose, not a factory's: the robot-type catalogue and its templates (every
# factory's robots are of these types).
# A robot type's QA spec versions are the catalogue's too; what a spec change would decide
# differently is listed per factory (checked below).
SHARED = re.compile(r"^/api/v1/(robot-types|robot_types|qa/robot-types)/")
# Edge-wide operator events have no factory; their own tests cover who may resolve them.
EDGE_WIDE = re.compile(r"^/api/v1/alerts/events/")
NOT_ADMITTED = {401, 403, 404, 405, 409, 422}


def _a_objects(a: World, s3: Any) -> dict[str, str]:
    episode = record_one(a, s3, 0)
    task = ok(a.client.get(f"/api/v1/tasks/{episode['task_id']}", headers=auth(a.admin)))
    secret = a.post("/api/v1/enrollment-secrets", {"factory_id": a.factory_id})
    inspector = a.post("/api/v1/inspectors", {"factory_id": a.factory_id, "name": "Inspector A"})
    return {
        "robots": a.robots[0]["id"],
        "data-collectors": a.collectors[0]["id"],
        "inspectors": inspector["id"],
        "workstations": a.workstations[0]["id"],
        "organizations": a.org_id,
        "factories": a.factory_id,
        "scenes": a.scene_id,
        "subscenes": a.subscene_id,
        "skills": a.skill_id,
        "sops": a.sop_id,
        "operations": a.post(
            "/api/v1/operations", {"skill_id": a.skill_id, "position": 1, "name": "Op A"}
        )["id"],
        "order_id": episode["order_id"],
        "batch_id": task["batch_id"],
        "task_id": episode["task_id"],
        "episode_id": episode["id"],
        "workstation_id": a.workstations[0]["id"],
        "device_id": a.robots[0]["device_id"],
        "secret_id": secret["id"],
        "token_id": a.post("/api/v1/tokens", {"role": "display", "factory_id": a.factory_id})["id"],
        "user_id": _a_user(a),
        "action": "begin",
        "label": _a_label(a, episode["id"]),
    }


def _a_label(a: World, episode_id: str) -> str:
    resp = a.client.post(
        f"/api/v1/episodes/{episode_id}/labels", json={"label": "a-label"}, headers=auth(a.admin)
    )
    assert resp.status_code in (200, 201), resp.text
    return "a-label"


def _a_user(a: World) -> str:
    a.user("operator")
    params = {"factory_id": a.factory_id, "role": "operator"}
    users = ok(a.client.get("/api/v1/users", params=params, headers=auth(a.admin)))["items"]
    return str(users[0]["id"])


def _fill(path: str, ids: dict[str, str]) -> str:
    resource = path.split("/")[3]

    def value(match: re.Match[str]) -> str:
        name = match[1]
        return ids[resource] if name == "item_id" else ids[name]

    return re.sub(r"\{(\w+)\}", value, path)


def _b_principals(b: World) -> dict[str, str]:
    admin_b = b.user("admin")  # an admin bound to factory B
    return {
        "admin": admin_b,
        "operator": b.user("operator"),
        "inspector": b.user("inspector"),
        "collector": b.login(b.collectors[0]["username"], b.workstations[0]["id"]),
        "display": tool_token("display", b.factory_id),
        "service": tool_token("service", b.factory_id),
        "robot": robot_token(b.robots[0]["id"]),
    }


@pytest.mark.slow
def test_no_principal_of_another_factory_reaches_any_object(world, client, s3) -> None:  # type: ignore[no-untyped-def]
    a = world
    a.order(target=3)
    ids = _a_objects(a, s3)
    b = build_world(client, stations=1)
    b.order(target=1)
    principals = _b_principals(b)
    spec = client.get("/openapi.json").json()
    leaks = []
    checked = 0
    for path, operations in spec["paths"].items():
        if "{" not in path or SHARED.match(path) or EDGE_WIDE.match(path):
            continue
        url = _fill(path, ids)
        for method in operations:
            for who, token in principals.items():
                body = {} if method in ("post", "put", "patch") else None
                response = client.request(method.upper(), url, json=body, headers=auth(token))
                checked += 1
                if response.status_code not in NOT_ADMITTED:
                    leaks.append(f"{who} {method.upper()} {url}: {response.status_code}")
                elif method == "get" and response.status_code not in (403, 404):
                    leaks.append(f"{who} GET {url}: {response.status_code} (not 403/404)")
    assert checked > 300
    assert not leaks, "\n".join(leaks)
    change = client.get(
        f"/api/v1/qa/robot-types/{a.robot_type_id}/spec-change", headers=auth(principals["admin"])
    )
    assert change.status_code == 200 and ids["episode_id"] not in change.text
    # And A's objects are as they were.
    episode = ok(client.get(f"/api/v1/episodes/{ids['episode_id']}", headers=auth(a.admin)))
    assert episode["id"] == ids["episode_id"]


def test_lists_show_another_factorys_principal_nothing_of_a(world, client, s3) -> None:  # type: ignore[no-untyped-def]
    a = world
    a.order(target=2)
    record_one(a, s3, 0)
    b = build_world(client, stations=1)
    principals = _b_principals(b)
    lists = [
        "/api/v1/episodes",
        "/api/v1/tasks",
        "/api/v1/orders",
        "/api/v1/robots",
        "/api/v1/workstations",
        "/api/v1/scenes",
        "/api/v1/factories",
        "/api/v1/data-collectors",
        "/api/v1/enrollment-secrets",
        "/api/v1/users",
    ]
    for who, token in principals.items():
        for path in lists:
            response = client.get(path, headers=auth(token))
            assert response.status_code in (200, 403), f"{who} {path}: {response.status_code}"
            if response.status_code == 200:
                body = response.json()
                items = body["items"] if isinstance(body, dict) else body
                text = str(items)
                assert a.factory_id not in text, f"{who} {path} shows factory A"
