"""Build a small factory through the real API: the registries every flow test needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

from keystone_api.settings import get_settings

_counter = itertools.count(1)

TOPICS = [
    {"name": "/joint_states", "type": "sensor_msgs/msg/JointState", "hz": 500},
    {
        "name": "/camera_head/image_raw/compressed",
        "type": "sensor_msgs/msg/CompressedImage",
        "hz": 30,
    },
]
QA_SPEC = {
    "required_topics": ["/joint_states", "/camera_head/image_raw/compressed"],
    "min_duration_s": 1,
    "max_gap_s": 0.5,
}


def tool_token(role: str, factory_id: str | None = None, ttl_s: int = 24 * 3600) -> str:
    """A minted token of this role (tool, display or service), recorded as the API records
    them (a token of these kinds without its record is refused)."""
    from tests.support.tokens import recorded_token

    return recorded_token(get_settings(), role, factory_id=factory_id, ttl_s=ttl_s)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


@dataclass
class World:
    client: httpx.Client
    admin: str
    org_id: str = ""
    factory_id: str = ""
    robot_type_id: str = ""
    scene_id: str = ""
    subscene_id: str = ""
    skill_id: str = ""
    sop_id: str = ""
    robots: list[dict[str, Any]] = field(default_factory=list)
    collectors: list[dict[str, Any]] = field(default_factory=list)
    workstations: list[dict[str, Any]] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)

    def post(
        self, path: str, body: dict[str, Any], token: str | None = None, status: int = 201
    ) -> Any:
        return ok(self.client.post(path, json=body, headers=auth(token or self.admin)), status)

    def login(self, username: str, workstation_id: str | None = None) -> str:
        body: dict[str, Any] = {"username": username, "password": self.passwords[username]}
        if workstation_id:
            body["workstation_id"] = workstation_id
        return ok(self.client.post("/api/v1/auth/login", json=body))["access_token"]

    def user(self, role: str, name: str | None = None) -> str:
        username = name or f"{role}-{self.factory_id[-8:]}-{next(_counter)}"
        self.passwords[username] = "password-" + username
        self.post(
            "/api/v1/users",
            {
                "username": username,
                "password": self.passwords[username],
                "role": role,
                "factory_id": self.factory_id,
            },
        )
        return self.login(username)

    def order(self, target: int = 3, **extra: Any) -> dict[str, Any]:
        body = {
            "factory_id": self.factory_id,
            "subscene_id": self.subscene_id,
            "sop_id": self.sop_id,
            "target_episodes": target,
            "name": "test order",
            **extra,
        }
        return self.post("/api/v1/orders", body)


def build_world(client: httpx.Client, stations: int = 2, admin: str | None = None) -> World:
    """`admin`: the token to build with (default: one of this process's database)."""
    n = next(_counter)
    w = World(client=client, admin=admin or tool_token("admin"))
    w.org_id = w.post("/api/v1/organizations", {"name": f"Org {n}-{id(w)}"})["id"]
    w.factory_id = w.post(
        "/api/v1/factories", {"organization_id": w.org_id, "name": f"Factory {n}-{id(w)}"}
    )["id"]
    w.robot_type_id = w.post(
        "/api/v1/robot-types",
        {"name": f"SynGloves {n}-{id(w)}", "topics": TOPICS, "qa_spec": QA_SPEC},
    )["id"]
    w.scene_id = w.post("/api/v1/scenes", {"factory_id": w.factory_id, "name": "Kitchen"})["id"]
    w.skill_id = w.post("/api/v1/skills", {"organization_id": w.org_id, "name": "fold towel"})["id"]
    w.subscene_id = w.post(
        "/api/v1/subscenes",
        {
            "scene_id": w.scene_id,
            "robot_type_id": w.robot_type_id,
            "name": "Table",
            "skill_ids": [w.skill_id],
        },
    )["id"]
    w.sop_id = w.post(
        "/api/v1/sops",
        {
            "skill_id": w.skill_id,
            "subscene_id": w.subscene_id,
            "name": "Fold v1",
            "steps": ["grasp", "fold"],
        },
    )["id"]
    for i in range(stations):
        robot = w.post(
            "/api/v1/robots",
            {"factory_id": w.factory_id, "robot_type_id": w.robot_type_id, "name": f"r{i}"},
        )
        username = f"collector-{n}-{i}-{id(w)}"
        w.passwords[username] = "password-" + username
        collector = w.post(
            "/api/v1/data-collectors",
            {
                "factory_id": w.factory_id,
                "name": f"Collector {i}",
                "employee_code": f"C{i:03d}",
                "username": username,
                "password": w.passwords[username],
            },
        )
        collector["username"] = username
        ws = w.post(
            "/api/v1/workstations",
            {"factory_id": w.factory_id, "name": f"WS-{i:02d}", "robot_id": robot["id"]},
        )
        w.robots.append(robot)
        w.collectors.append(collector)
        w.workstations.append(ws)
    return w
