"""The authorization matrix: each role against each route family, and object-level checks
across factories, workstations and devices."""

from __future__ import annotations

import pytest

from keystone_api.errors import Unauthorized
from keystone_api.settings import get_settings
from tests.api.flows import record_one, robot_token, take_task
from tests.api.world import auth, build_world, ok, tool_token

ALLOWED, FORBIDDEN = "allowed", "forbidden"


@pytest.fixture
def tokens(world) -> dict[str, str]:
    w = world
    return {
        "admin": w.admin,
        "operator": w.user("operator"),
        "inspector": w.user("inspector"),
        "collector": w.login(w.collectors[0]["username"], w.workstations[0]["id"]),
        "robot": robot_token(w.robots[0]["id"]),
        "display": tool_token("display", w.factory_id),
        "service": tool_token("service"),
    }


def _families(w, s3) -> dict[str, tuple]:
    episode = record_one(w, s3, 0)
    ws0 = w.workstations[0]["id"]
    return {
        "registry.read": ("GET", f"/api/v1/scenes/{w.scene_id}", None),
        "registry.write": ("POST", "/api/v1/scenes", {"factory_id": w.factory_id, "name": "S2"}),
        "catalogue.write": ("POST", "/api/v1/robot-types", {"name": f"RT-{w.factory_id}"}),
        "orders.read": ("GET", "/api/v1/orders", None),
        "orders.write": ("POST", "/api/v1/orders", {
            "factory_id": w.factory_id, "subscene_id": w.subscene_id, "sop_id": w.sop_id,
            "target_episodes": 1}),
        "tasks.next": ("POST", f"/api/v1/workstations/{ws0}/tasks/next", None),
        "episodes.read": ("GET", f"/api/v1/episodes/{episode['id']}", None),
        "episodes.search": ("GET", "/api/v1/episodes?label=x&q=y", None),
        "episodes.csv": ("GET", "/api/v1/episodes.csv?status=pending_qa", None),
        "labels.read": ("GET", f"/api/v1/episodes/{episode['id']}/labels", None),
        "labels.in_use": ("GET", "/api/v1/episode-labels", None),
        "labels.write": ("POST", f"/api/v1/episodes/{episode['id']}/labels", {"label": "x"}),
        "inspection.queue": ("GET", "/api/v1/inspection/queue", None),
        "downloads": ("GET", f"/api/v1/episodes/{episode['id']}/downloads", None),
        "users.admin": ("GET", "/api/v1/users", None),
        "fleet.heartbeat": ("POST", f"/api/v1/robots/{w.robots[0]['id']}/heartbeat", None),
    }


EXPECTED = {
    #                  admin    operator  inspector collector robot display service
    "registry.read":    "AAAAFFF",
    "registry.write":   "AAFFFFF",
    "catalogue.write":  "AFFFFFF",
    "orders.read":      "AAAFFFF",
    "orders.write":     "AAFFFFF",
    "tasks.next":       "AAFAFFF",
    "episodes.read":    "AAAAFFF",
    "episodes.search":  "AAAAFFF",
    "episodes.csv":     "AAAAFFF",
    "labels.read":      "AAAAFFF",
    "labels.in_use":    "AAAAFFF",
    "labels.write":     "AAAFFFF",
    "inspection.queue": "AAAFFFF",
    "downloads":        "AAAFFFF",
    "users.admin":      "AFFFFFF",
    "fleet.heartbeat":  "AAFFAFF",
}
ROLES = ["admin", "operator", "inspector", "collector", "robot", "display", "service"]


def test_role_matrix(world, tokens, s3) -> None:
    w = world
    w.order(target=3)
    families = _families(w, s3)
    failures = []
    for family, (method, path, body) in families.items():
        for role, expected in zip(ROLES, EXPECTED[family], strict=True):
            response = w.client.request(method, path, json=body, headers=auth(tokens[role]))
            got = "F" if response.status_code == 403 else "A"
            if response.status_code >= 500 or got != expected:
                failures.append(f"{family} as {role}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures)


def test_no_token_and_bad_tokens_are_401(client) -> None:
    for headers in ({}, auth("garbage"), auth(tool_token("admin") + "x"),
                    {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = client.get("/api/v1/scenes", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_expired_and_foreign_tokens_are_refused(client) -> None:
    import jwt

    from keystone_api.accounts.tokens import TokenClaims, mint

    settings = get_settings()
    expired = mint(settings, TokenClaims("tool", "x", "admin"), ttl_s=-60)
    assert client.get("/api/v1/scenes", headers=auth(expired)).status_code == 401
    wrong_key = jwt.encode({"sub": "x", "kind": "tool", "role": "admin", "iss": settings.jwt_issuer,
                            "aud": settings.jwt_audience, "exp": 4102444800, "iat": 0},
                           "another-secret-entirely-another-secret", "HS256")
    assert client.get("/api/v1/scenes", headers=auth(wrong_key)).status_code == 401
    wrong_aud = jwt.encode({"sub": "x", "kind": "tool", "role": "admin", "iss": settings.jwt_issuer,
                            "aud": "elsewhere", "exp": 4102444800, "iat": 0},
                           settings.jwt_secret.get_secret_value(), "HS256")
    assert client.get("/api/v1/scenes", headers=auth(wrong_aud)).status_code == 401
    unsigned = jwt.encode({"sub": "x", "kind": "tool", "role": "admin", "iss": settings.jwt_issuer,
                           "aud": settings.jwt_audience, "exp": 4102444800, "iat": 0}, None, "none")
    assert client.get("/api/v1/scenes", headers=auth(unsigned)).status_code == 401


def test_a_token_verified_once_is_still_refused_when_it_expires_or_the_key_changes(
    client,
) -> None:
    """Verified tokens are cached (robots resend the same one); expiry and the signing key
    must still hold on every use."""
    import time

    from pydantic import SecretStr

    from keystone_api.accounts.tokens import TokenClaims, decode, mint

    settings = get_settings()
    short = tool_token("admin", ttl_s=-3)  # within the leeway
    assert client.get("/api/v1/scenes", headers=auth(short)).status_code == 200
    assert decode(settings, short).role == "admin"  # and now cached
    time.sleep(2.5)  # past exp + 5 s leeway
    assert client.get("/api/v1/scenes", headers=auth(short)).status_code == 401
    token = mint(settings, TokenClaims("tool", "y", "admin"))
    assert decode(settings, token).sub == "y"
    rotated = settings.model_copy(update={"jwt_secret": SecretStr("another-secret-" * 3)})
    with pytest.raises(Unauthorized):
        decode(rotated, token)


def test_a_factory_sees_nothing_of_another(world, client, s3) -> None:
    a = world
    a.order(target=2)
    episode = record_one(a, s3, 0)
    b = build_world(client, stations=1)
    operator_b = b.user("operator")
    for path in (f"/api/v1/scenes/{a.scene_id}", f"/api/v1/factories/{a.factory_id}",
                 f"/api/v1/robots/{a.robots[0]['id']}", f"/api/v1/episodes/{episode['id']}",
                 f"/api/v1/tasks/{episode['task_id']}", f"/api/v1/orders/{episode['order_id']}",
                 f"/api/v1/workstations/{a.workstations[0]['id']}"):
        assert client.get(path, headers=auth(operator_b)).status_code == 404, path
    listed = ok(client.get("/api/v1/episodes", headers=auth(operator_b)))
    assert all(e["factory_id"] == b.factory_id for e in listed["items"])
    scenes = ok(client.get("/api/v1/scenes", headers=auth(operator_b)))["items"]
    assert {s["factory_id"] for s in scenes} <= {b.factory_id}
    # Creating in another factory is refused too.
    response = client.post("/api/v1/scenes", json={"factory_id": a.factory_id, "name": "x"},
                           headers=auth(operator_b))
    assert response.status_code == 404
    inspector_b = b.user("inspector")
    response = client.post(f"/api/v1/episodes/{episode['id']}/inspection",
                           json={"decision": "approve"}, headers=auth(inspector_b))
    assert response.status_code == 404


def test_a_collector_sees_only_its_workstation(world, client) -> None:
    w = world
    w.order(target=4)
    token0, task0, _ = take_task(w, 0)
    _, task1, _ = take_task(w, 1)
    ws1 = w.workstations[1]["id"]
    assert client.post(f"/api/v1/workstations/{ws1}/tasks/next",
                       headers=auth(token0)).status_code == 404
    assert client.get(f"/api/v1/tasks/{task1['id']}", headers=auth(token0)).status_code == 404
    assert client.get(f"/api/v1/tasks/{task1['id']}/config",
                      headers=auth(token0)).status_code == 404
    mine = ok(client.get("/api/v1/tasks", headers=auth(token0)))["items"]
    assert {t["workstation_id"] for t in mine} == {w.workstations[0]["id"]}
    assert client.post(f"/api/v1/workstations/{ws1}/break/start",
                       headers=auth(token0)).status_code == 404


def test_a_device_acts_only_for_itself(world, client) -> None:
    w = world
    rid = w.robots[0]["id"]
    robot0 = robot_token(rid)
    beat = ok(client.post(f"/api/v1/robots/{rid}/heartbeat", headers=auth(robot0)))
    assert beat["robot_id"] == rid and beat["available"] is True
    stored = ok(client.get(f"/api/v1/robots/{rid}", headers=auth(w.admin)))
    assert stored["last_seen_at"] == beat["last_seen_at"] and stored["online"] is True
    ok(client.patch(f"/api/v1/robots/{rid}", json={"maintenance": True}, headers=auth(w.admin)))
    beat = ok(client.post(f"/api/v1/robots/{rid}/heartbeat", headers=auth(robot0)))
    assert beat["available"] is False  # alive, but in maintenance
    assert client.post(f"/api/v1/robots/{w.robots[1]['id']}/heartbeat",
                       headers=auth(robot0)).status_code == 403


def test_rotating_a_device_token_revokes_the_old_one(world, client) -> None:
    w = world
    old = robot_token(w.robots[0]["id"])
    rotated = ok(client.post(f"/api/v1/robots/{w.robots[0]['id']}/rotate-token",
                             headers=auth(w.admin)))
    path = f"/api/v1/robots/{w.robots[0]['id']}/heartbeat"
    assert client.post(path, headers=auth(old)).status_code == 401
    ok(client.post(path, headers=auth(rotated["token"])))
