"""An episode approved at a real edge and sent by the real sender arrives in the cloud's
catalog with where it came from and what the filters look at (names from the edge's
registries, its QA score and checks, its labels)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from keystone_api.settings import Settings
from tests.api.world import World, auth, ok
from tests.cloud.deliveries import get, reader
from tests.sync.conftest import Cloud
from tests.sync.helpers import approve, drain_all, landed

pytestmark = pytest.mark.usefixtures("drained")


def _label(w: World, episode_id: str, labels: list[str]) -> None:
    # As an inspector labels it on the edge (normalized there: "Night Shift" is night-shift).
    for label in labels:
        path = f"/api/v1/episodes/{episode_id}/labels"
        ok(w.client.post(path, json={"label": label}, headers=auth(w.admin)))


def test_a_synced_episode_is_in_the_catalog_with_its_facts(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=2)
    episode = approve(landed(w, s3))
    _label(w, episode["id"], ["Night Shift", "night-shift", "customer:acme"])
    assert episode["id"] in drain_all(sync_settings()).synced

    edge = ok(w.client.get(f"/api/v1/episodes/{episode['id']}", headers=auth(w.admin)))
    got = get(cloud, f"/api/v1/catalog/episodes/{episode['id']}", reader())
    assert got.status_code == 200, got.text
    detail = got.json()
    origin = detail["origin"]
    factory = ok(w.client.get(f"/api/v1/factories/{w.factory_id}", headers=auth(w.admin)))
    robot = ok(w.client.get(f"/api/v1/robots/{edge['robot_id']}", headers=auth(w.admin)))
    robot_type = ok(w.client.get(f"/api/v1/robot-types/{w.robot_type_id}", headers=auth(w.admin)))
    assert (origin["factory_id"], origin["factory_name"]) == (w.factory_id, factory["name"])
    for name in ("task_id", "order_id", "batch_id", "workstation_id", "robot_id"):
        assert origin[name] == edge[name], name
    assert origin["device_id"] == robot["device_id"] and origin["workstation"]
    assert (detail["scene"], detail["subscene"]) == ("Kitchen", "Table")
    assert detail["skills"] == ["fold towel"] and detail["robot_type"] == robot_type["name"]
    assert detail["labels"] == ["customer:acme", "night-shift"]  # once each
    assert detail["qa_score"] == 0.97
    checks = {c["name"]: c["passed"] for c in detail["qa_checks"]}
    assert checks == {c["name"]: c["passed"] for c in edge["checks"]} and len(checks) == 5

    found = get(
        cloud,
        "/api/v1/catalog/episodes",
        reader(),
        factory_id=w.factory_id,
        skill="fold towel",
        label="night-shift",
        robot_type=robot_type["name"],
        score_min=0.95,
    ).json()
    assert [e["episode_id"] for e in found["items"]] == [episode["id"]]
