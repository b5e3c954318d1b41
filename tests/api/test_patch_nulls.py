"""No PATCH writes null into a required column (issue 19: `{"qa_spec": null}` on a robot
type answered 500 on MariaDB). Every PATCH route of the OpenAPI document, every field of its
body, on a real object: null into a required field is a 422 naming the field and changes
nothing; null into a nullable one (a subscene's QA overrides, an order's deadline) clears it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from keystone_api.accounts.models import User
from keystone_api.accounts.schemas import UserPatch
from keystone_api.common.resource import Resource
from keystone_api.common.schemas import Patch, accepts_null
from keystone_api.fleet.resources import RESOURCES as FLEET
from keystone_api.orders.models import Order
from keystone_api.orders.schemas import OrderPatch
from keystone_api.registry.resources import RESOURCES as REGISTRY
from tests.api.world import World, auth, ok


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def _objects(w: World) -> dict[str, str]:
    """A real object behind every PATCH route, by the route's resource segment."""
    w.user("operator")
    params = {"factory_id": w.factory_id, "role": "operator"}
    users = ok(w.client.get("/api/v1/users", params=params, headers=auth(w.admin)))["items"]
    return {
        "robot-types": w.robot_type_id,
        "robots": w.robots[0]["id"],
        "data-collectors": w.collectors[0]["id"],
        "inspectors": w.post("/api/v1/inspectors", {"factory_id": w.factory_id, "name": "I"})["id"],
        "workstations": w.workstations[0]["id"],
        "users": users[0]["id"],
        "organizations": w.org_id,
        "factories": w.factory_id,
        "scenes": w.scene_id,
        "subscenes": w.subscene_id,
        "skills": w.skill_id,
        "operations": w.post(
            "/api/v1/operations", {"skill_id": w.skill_id, "position": 1, "name": "grasp"}
        )["id"],
        "sops": w.sop_id,
        "orders": w.order(target=1)["id"],
    }


def _body_properties(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]


def _offers_null(prop: dict[str, Any]) -> bool:
    return {"type": "null"} in prop.get("anyOf", ())


def test_null_into_each_required_field_of_each_patch_route_is_a_422_naming_it(
    world: World, client: Any
) -> None:
    spec = client.get("/openapi.json").json()
    objects = _objects(world)
    patches = [(path, ops["patch"]) for path, ops in spec["paths"].items() if "patch" in ops]
    assert len(patches) >= 14, "the PATCH routes went missing from the document"
    wrong, required, cleared = [], 0, 0
    for path, op in patches:
        resource = path.split("/")[3]
        assert resource in objects, f"{path}: add an object for this new PATCH route"
        url = path.replace(path[path.index("{") :], objects[resource])
        fields = _body_properties(spec, op)
        # Refused patches change nothing (users have no GET by id; a cleared field changes).
        unchanged = resource != "users" and not any(map(_offers_null, fields.values()))
        before = ok(client.get(url, headers=auth(world.admin))) if unchanged else None
        for field, prop in fields.items():
            response = client.patch(url, json={field: None}, headers=auth(world.admin))
            if _offers_null(prop):
                cleared += 1
                if response.status_code != 200 or response.json()[field] is not None:
                    wrong.append(f"PATCH {path} {field}=null: {response.status_code}")
                continue
            required += 1
            error = response.json().get("error", {})
            if response.status_code != 422 or error.get("details", [{}])[0].get("field") != field:
                wrong.append(f"PATCH {path} {field}=null: {response.status_code} {response.text}")
            elif not error["message"].startswith(f"{field}: may not be null"):
                wrong.append(f"PATCH {path} {field}=null: message {error['message']!r}")
        if before is not None:
            assert ok(client.get(url, headers=auth(world.admin))) == before, path
    assert not wrong, "\n".join(wrong)
    assert required > 25 and cleared == 3  # subscene and SOP qa_spec, order deadline


def test_robot_type_qa_spec_null_is_refused_and_the_spec_kept(world: World, client: Any) -> None:
    url = f"/api/v1/robot-types/{world.robot_type_id}"
    response = client.patch(url, json={"qa_spec": None}, headers=auth(world.admin))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "qa_spec"
    assert ok(client.get(url, headers=auth(world.admin)))["qa_spec"]["min_duration_s"] == 1
    # Left out, it stays; another field still changes.
    patched = ok(client.patch(url, json={"description": "gloves"}, headers=auth(world.admin)))
    assert patched["description"] == "gloves" and patched["qa_spec"]["min_duration_s"] == 1


def _patched_models() -> list[tuple[type[Patch], Any]]:
    resources: list[Resource] = [*FLEET, *REGISTRY]
    return [(r.patch_schema, r.model) for r in resources] + [  # type: ignore[misc]
        (OrderPatch, Order),
        (UserPatch, User),
    ]


@pytest.mark.parametrize(
    ("schema", "model"), _patched_models(), ids=lambda x: getattr(x, "__name__", "")
)
def test_a_patch_field_takes_null_exactly_when_its_column_may_be_null(
    schema: type[Patch], model: Any
) -> None:
    assert issubclass(schema, Patch), f"{schema.__name__} must derive from common.schemas.Patch"
    columns = model.__table__.columns
    for name in schema.model_fields:
        if name in columns:  # skill_ids (a link table) and password (a hash) are not columns
            assert accepts_null(schema, name) == columns[name].nullable, f"{schema.__name__}.{name}"
