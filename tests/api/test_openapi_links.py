"""The OpenAPI links of the served document (keystone_api/openapi_links.py) point at real
operations, real parameters and real fields: a generated client or the stateful fuzzer that
follows one never calls something that does not exist."""

from __future__ import annotations

import re
from typing import Any

import pytest

from keystone_api.openapi_links import api_links


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The document as the app serves it (in-process: serving it needs no database)."""
    from fastapi.testclient import TestClient

    from tests.support.in_process import edge_app

    return TestClient(edge_app()).get("/openapi.json").json()  # type: ignore[no-any-return]


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _has_pointer(doc: dict[str, Any], schema: dict[str, Any], pointer: str) -> bool:
    """Whether a JSON pointer into a response body names something its schema declares."""
    for segment in pointer.strip("/").split("/"):
        schema = _resolve(doc, schema)
        if segment.isdigit():
            schema = schema.get("items", {})
        else:
            properties = schema.get("properties", {})
            if segment not in properties:
                return False
            schema = properties[segment]
    return True


def _json_schema(part: dict[str, Any]) -> dict[str, Any]:
    return part.get("content", {}).get("application/json", {}).get("schema", {})


def test_every_link_targets_a_real_operation_parameter_and_field(openapi) -> None:  # type: ignore[no-untyped-def]
    operations = _operations(openapi)
    wrong = []
    checked = 0
    for source_id, source in operations.items():
        for status, response in source["responses"].items():
            for name, link in response.get("links", {}).items():
                checked += 1
                where = f"{source_id} {status} -> {name}"
                target = operations.get(link["operationId"])
                if target is None:
                    wrong.append(f"{where}: no operation '{link['operationId']}'")
                    continue
                params = {(p["in"], p["name"]) for p in target.get("parameters", ())}
                expressions = list(link.get("parameters", {}).values())
                for key in link.get("parameters", {}):
                    place, _, param = key.rpartition(".")
                    if (place or "path", param) not in params:
                        wrong.append(f"{where}: no parameter {key}")
                body = link.get("requestBody", {})
                fields = _resolve(openapi, _json_schema(target.get("requestBody", {})))
                for field, expression in body.items():
                    expressions.append(expression)
                    if field not in fields.get("properties", {}):
                        wrong.append(f"{where}: no body field {field}")
                for expression in expressions:
                    pointer = re.fullmatch(r"\$response\.body#(/.*)", expression)
                    if not pointer or not _has_pointer(openapi, _json_schema(response), pointer[1]):
                        wrong.append(f"{where}: {expression} is not in the {status} answer")
    assert not wrong, "\n".join(wrong)
    # Every link of the table made it into the document (none dropped as unserved).
    assert checked == sum(len(links) for links in api_links().values())


def test_the_workflows_are_linked(openapi) -> None:  # type: ignore[no-untyped-def]
    operations = _operations(openapi)

    def targets(source: str, status: str = "201") -> set[str]:
        links = operations[source]["responses"][status].get("links", {})
        return {link["operationId"] for link in links.values()}

    order = targets("create_order")
    assert {"get_order", "patch_order", "list_batches", "list_tasks"} <= order
    link = operations["create_order"]["responses"]["201"]["links"]["GetOrder"]
    assert link["parameters"] == {"order_id": "$response.body#/id"}
    assert {"create_factories", "create_skills"} <= targets("create_organizations")
    assert {"create_scenes", "create_robots", "create_workstations"} <= targets("create_factories")
    assert {"create_subscenes"} <= targets("create_scenes")
    assert {"create_sops", "create_order"} <= targets("create_subscenes")
    assert {"create_order", "get_sops"} <= targets("create_sops")
    assert {"create_robots", "create_subscenes"} <= targets("create_robot_types")
    assert {"create_workstations", "heartbeat"} <= targets("create_robots")
    assert {"next_task", "pair"} <= targets("create_workstations")
    assert {"get_batch", "recall_batch"} <= targets("list_batches", "200")
    assert {"get_task", "retry_task"} <= targets("next_task", "200")
    assert {"get_episode", "inspect"} <= targets("list_episodes", "200")
