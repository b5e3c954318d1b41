"""QA spec overrides are checked when written, as the robot type's spec is: QA merges the
three when it assesses a recording, so an override it cannot read would fail every QA run
of its subscene or SOP. A bad one is refused (422 naming the field), a good one is kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.world import World, auth, ok

TYPO = {"min_duraton_s": 2}  # the field is min_duration_s
OUT_OF_RANGE = {"max_gap_s": -1}
GOOD = {"min_duration_s": 2, "max_gap_s_by_topic": {"/imu": None}, "weights": {"gaps": 2}}


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["message"].startswith(f"{field}:")
    assert error["details"][0]["field"] == field


def _new_subscene(w: World, qa_spec: Any) -> httpx.Response:
    body = {"scene_id": w.scene_id, "robot_type_id": w.robot_type_id, "name": "Shelf",
            "skill_ids": [w.skill_id], "qa_spec": qa_spec}
    return w.client.post("/api/v1/subscenes", json=body, headers=auth(w.admin))


def _new_sop(w: World, qa_spec: Any) -> httpx.Response:
    body = {"skill_id": w.skill_id, "subscene_id": w.subscene_id, "name": "Fold v2",
            "qa_spec": qa_spec}
    return w.client.post("/api/v1/sops", json=body, headers=auth(w.admin))


CREATE = {"subscenes": _new_subscene, "sops": _new_sop}


@pytest.mark.parametrize("kind", CREATE)
def test_a_bad_override_is_refused_on_create(world: World, kind: str) -> None:
    _refused(CREATE[kind](world, TYPO), "qa_spec.min_duraton_s")
    _refused(CREATE[kind](world, OUT_OF_RANGE), "qa_spec.max_gap_s")
    # Only the world's own subscene and SOP are there.
    within = {"scene_id": world.scene_id} if kind == "subscenes" else {
        "subscene_id": world.subscene_id}
    listed = ok(world.client.get(f"/api/v1/{kind}", params=within, headers=auth(world.admin)))
    assert [item["id"] for item in listed["items"]] == [
        world.subscene_id if kind == "subscenes" else world.sop_id]


@pytest.mark.parametrize("kind", CREATE)
def test_a_good_override_is_kept_on_create(world: World, kind: str) -> None:
    made = ok(CREATE[kind](world, GOOD), 201)
    url = f"/api/v1/{kind}/{made['id']}"
    assert ok(world.client.get(url, headers=auth(world.admin)))["qa_spec"] == GOOD


@pytest.mark.parametrize("kind", ["subscenes", "sops"])
def test_a_bad_override_is_refused_on_patch_and_a_good_one_kept(world: World, kind: str) -> None:
    w = world
    url = f"/api/v1/{kind}/{w.subscene_id if kind == 'subscenes' else w.sop_id}"
    bad = w.client.patch(url, json={"qa_spec": {"weights": {"gapz": 1}}}, headers=auth(w.admin))
    _refused(bad, "qa_spec.weights")
    unchanged = ok(w.client.get(url, headers=auth(w.admin)))
    assert unchanged["qa_spec"] is None and unchanged["archived_at"] is None
    # A SOP's patch answers with its new version.
    patched = ok(w.client.patch(url, json={"qa_spec": GOOD}, headers=auth(w.admin)))
    read_back = ok(w.client.get(f"/api/v1/{kind}/{patched['id']}", headers=auth(w.admin)))
    assert patched["qa_spec"] == read_back["qa_spec"] == GOOD


def test_the_robot_types_spec_is_checked_the_same_way(world: World) -> None:
    w = world
    url = f"/api/v1/robot-types/{w.robot_type_id}"
    _refused(w.client.patch(url, json={"qa_spec": TYPO}, headers=auth(w.admin)),
             "qa_spec.min_duraton_s")
    assert ok(w.client.get(url, headers=auth(w.admin)))["qa_spec"]["min_duration_s"] == 1
