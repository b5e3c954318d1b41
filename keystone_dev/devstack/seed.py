"""The demo world `keystone dev` starts with, made idempotently (a second start finds it
and creates nothing): the demo robot type with its QA spec and templates (in the database,
before the API starts), then, through the API as an admin would, an organization, a factory,
a scene and subscene with skills and an SOP, an inspector account, a collector and a
workstation per simulated robot, and a demo order (scheduled once the robots are paired)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from keystone_api.gateways.demo import DEMO_QA_SPEC, ensure_demo_robot_type
from keystone_sim.factory.provision import DEMO_ORDER_PREFIX, AdminApi, ensure_station

ORGANIZATION = "Demo Robotics"
FACTORY = "Demo Factory"
SCENE = "Kitchen"
SUBSCENE = "Counter"
SKILLS = ("fold towel", "wipe counter")
SOP = "Fold towel v1"
INSPECTOR = "inspector"


@dataclass(frozen=True)
class DemoWorld:
    organization_id: str
    factory_id: str
    robot_type_id: str
    robot_type: str
    subscene_id: str
    sop_id: str
    order_id: str


def seed_robot_type(session: Session) -> tuple[str, str]:
    """The demo robot type (id, name), its QA spec and templates (replaced when a state
    directory of an older version still has templates without per-robot store keys)."""
    from keystone_api.gateways.templates import find_template, install_defaults

    robot_type = ensure_demo_robot_type(session)
    if not robot_type.qa_spec:
        robot_type.qa_spec = DEMO_QA_SPEC
    if (
        "{{ storage.access_key }}"
        not in find_template(session, robot_type.id, "transfer.yaml").content
    ):
        install_defaults(session, robot_type.id, overwrite=True)
    session.flush()
    return robot_type.id, robot_type.name


def _ensure(api: AdminApi, path: str, body: dict[str, Any], **filters: Any) -> dict[str, Any]:
    found = api.named(path, body["name"], **filters)
    return found if found is not None else dict(api.call("POST", path, body))


def seed_world(
    api: AdminApi,
    robot_type_id: str,
    robot_type: str,
    *,
    stations: int,
    fleet: str,
    collector_password: str,
    inspector_password: str,
) -> DemoWorld:
    org = _ensure(api, "/api/v1/organizations", {"name": ORGANIZATION})
    factory = _ensure(
        api,
        "/api/v1/factories",
        {"organization_id": org["id"], "name": FACTORY, "location": "keystone dev"},
    )
    fid = factory["id"]
    scene = _ensure(api, "/api/v1/scenes", {"factory_id": fid, "name": SCENE}, factory_id=fid)
    skills = [
        _ensure(
            api,
            "/api/v1/skills",
            {"organization_id": org["id"], "name": name},
            organization_id=org["id"],
        )["id"]
        for name in SKILLS
    ]
    subscene = _ensure(
        api,
        "/api/v1/subscenes",
        {
            "scene_id": scene["id"],
            "robot_type_id": robot_type_id,
            "name": SUBSCENE,
            "skill_ids": skills,
        },
        scene_id=scene["id"],
    )
    sop = _ensure(
        api,
        "/api/v1/sops",
        {
            "skill_id": skills[0],
            "subscene_id": subscene["id"],
            "name": SOP,
            "steps": ["pick up the towel", "fold it in half", "fold it again", "place it"],
        },
        subscene_id=subscene["id"],
    )
    if api.named("/api/v1/inspectors", "Demo Inspector", factory_id=fid) is None:
        body = {
            "factory_id": fid,
            "name": "Demo Inspector",
            "username": INSPECTOR,
            "password": inspector_password,
        }
        api.call("POST", "/api/v1/inspectors", body)
    for index in range(1, stations + 1):
        ensure_station(api, fid, fleet, index, collector_password)
    order = _demo_order(api, fid, subscene["id"], sop["id"])
    return DemoWorld(
        org["id"], fid, robot_type_id, robot_type, subscene["id"], sop["id"], order["id"]
    )


def _demo_order(api: AdminApi, factory_id: str, subscene_id: str, sop_id: str) -> dict[str, Any]:
    """Any demo order of the factory (the simulator opens more as they fill up); the first
    is created before any robot is paired, so it waits (pending) for the fleet."""
    for order in api.items("/api/v1/orders", factory_id=factory_id, subscene_id=subscene_id):
        if str(order.get("name", "")).startswith(DEMO_ORDER_PREFIX):
            return order
    body = {
        "factory_id": factory_id,
        "subscene_id": subscene_id,
        "sop_id": sop_id,
        "name": f"{DEMO_ORDER_PREFIX}: fold towels",
        "target_episodes": 200,
    }
    return dict(api.call("POST", "/api/v1/orders", body))
