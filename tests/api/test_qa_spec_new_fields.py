"""The QA spec's fields for the checks of issue 17 (rates, joint states) through the API: a
robot type's spec with them is kept as written, a bad value is refused (422 naming the
field), and a spec written before them stays valid (every new field has a default)."""

from __future__ import annotations

import pytest

from tests.api.world import QA_SPEC, World, auth, ok

NEW = {
    "expected_rate_hz": {"/camera_head/image_raw/compressed": 30, "/joint_states": 500},
    "rate_tolerance": 0.1,
    "joint_limits": {"joint_1": [-2.9, 2.9]},
    "moving_joint_topics": ["/joint_states"],
    "joint_sample": 100,
    "weights": {"rates": 0.2, "joint_states": 0.1},
}


def test_a_spec_with_the_new_fields_is_kept(world: World) -> None:
    url = f"/api/v1/robot-types/{world.robot_type_id}"
    assert ok(world.client.get(url, headers=auth(world.admin)))["qa_spec"] == QA_SPEC
    spec = {**QA_SPEC, **NEW}
    kept = ok(world.client.patch(url, json={"qa_spec": spec}, headers=auth(world.admin)))
    assert kept["qa_spec"] == spec


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"expected_rate_hz": {"/joint_states": -5}}, "qa_spec.expected_rate_hz"),
        ({"joint_limits": {"joint_1": [3, -3]}}, "qa_spec.joint_limits"),
        ({"joint_limits": {"joint_1": [1]}}, "qa_spec.joint_limits.joint_1"),
        ({"rate_tolerance": 1}, "qa_spec.rate_tolerance"),
        ({"moving_joint_topics": "/joint_states"}, "qa_spec.moving_joint_topics"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(world: World, bad: dict, field: str) -> None:
    url = f"/api/v1/robot-types/{world.robot_type_id}"
    response = world.client.patch(url, json={"qa_spec": bad}, headers=auth(world.admin))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(field), response.text
