"""MinIO cannot run here: the policies Keystone gives it are checked for their shape, and
the MinIO identity backend against a stand-in of MinioAdmin that records its calls (the
behaviour of the same policies is proven on SeaweedFS, tests/gateways/test_store_keys.py and
test_process_keys.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keystone_api.storage import policies
from keystone_api.storage.identities import MinioIdentities
from keystone_api.storage.roles import ROLES, identity

SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "minio" / "policies"


def _generated(role: str) -> dict[str, Any]:
    factories = ("FACTORY_ID",) if role == "sync-cloud" else ()
    return identity(
        role,
        bucket_template="edge-{factory_id}",
        cloud_bucket="cloud-episodes",
        factory_ids=factories,
        dialect="minio",
    ).policy


@pytest.mark.parametrize("role", ROLES)
def test_the_shipped_policies_are_the_generated_ones(role: str) -> None:
    assert json.loads((SHIPPED / f"{role}.json").read_text()) == _generated(role)


def test_the_shipped_robot_policy_is_the_generated_one() -> None:
    robot = policies.robot("edge-FACTORY_ID", policies.robot_prefix("FACTORY_ID", "DEVICE_ID"))
    assert json.loads((SHIPPED / "robot.json").read_text()) == robot


def _actions(policy: dict[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def _resources(policy: dict[str, Any]) -> set[str]:
    return {r for s in policy["Statement"] for r in s.get("Resource", [])}


def test_a_robot_may_write_and_head_its_own_prefix_only() -> None:
    robot = policies.robot("edge-f1", policies.robot_prefix("f1", "AB-F0001-T0001-000001"))
    assert _actions(robot) == {"s3:PutObject", "s3:GetObject"}
    assert _resources(robot) == {"arn:aws:s3:::edge-f1/f1/AB-F0001-T0001-000001/*"}
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in robot["Statement"])


def test_no_policy_grants_wildcards_deletes_or_more_than_its_role() -> None:
    for role in ROLES:
        policy = _generated(role)
        actions = _actions(policy)
        assert not any(a.endswith("*") for a in actions), role
        assert not any("Delete" in a for a in actions), role
        assert all(r != "*" and r.startswith("arn:aws:s3:::") for r in _resources(policy)), role
    assert _actions(_generated("api")) == {"s3:GetObject", "s3:ListBucket"}
    assert _actions(_generated("sync")) == {"s3:GetObject"}
    assert _actions(_generated("cloud")) == {"s3:GetObject"}
    qa = _generated("qa")
    writes = [s for s in qa["Statement"] if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in writes] == [["arn:aws:s3:::edge-*/qa/*"]]
    sync_cloud = _generated("sync-cloud")
    assert _resources(sync_cloud) == {"arn:aws:s3:::cloud-episodes/FACTORY_ID/*"}
    # The enroller caps every robot key: nothing beyond what a robot may do to objects.
    enroller = _generated("enroller")
    object_actions = {a for a in _actions(enroller) if a.startswith("s3:") and "Bucket" not in a}
    assert object_actions == {"s3:PutObject", "s3:GetObject"}
    assert not {"admin:CreateUser", "admin:CreatePolicy", "admin:AttachUserOrGroupPolicy"} & (
        _actions(enroller)
    )


class RecordingMinioAdmin:
    """A stand-in for minio.MinioAdmin (MinIO cannot run here): it keeps service accounts
    as MinIO would answer for them, and records the calls."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.n = 0

    def add_service_account(self, *, name: str, description: str, policy: dict[str, Any]) -> str:
        self.n += 1
        key = f"AK{self.n:018d}"
        self.accounts[key] = {"accessKey": key, "name": name, "policy": policy}
        self.calls.append(("add", name))
        return json.dumps({"credentials": {"accessKey": key, "secretKey": f"secret-{self.n}"}})

    def list_service_account(self, user: str) -> str:
        self.calls.append(("list", user))
        listed = [{"accessKey": a["accessKey"], "name": a["name"]} for a in self.accounts.values()]
        return json.dumps({"accounts": listed})

    def delete_service_account(self, access_key: str) -> str:
        self.calls.append(("delete", access_key))
        del self.accounts[access_key]
        return ""


def test_the_minio_backend_replaces_a_holders_service_account_and_revokes_it() -> None:
    admin = RecordingMinioAdmin()
    backend = MinioIdentities(admin, parent="ks-enroller")
    policy = policies.robot("edge-f1", "f1/dev/")
    first = backend.issue("ks-robot-dev", policy)
    other = backend.issue("ks-robot-other", policy)
    second = backend.issue("ks-robot-dev", policy)  # a rotation
    assert first.access_key not in admin.accounts  # the old key is gone
    assert admin.accounts[second.access_key] == {
        "accessKey": second.access_key,
        "name": "ks-robot-dev",
        "policy": policy,
    }
    assert other.access_key in admin.accounts  # others untouched
    assert ("list", "ks-enroller") in admin.calls
    backend.revoke("ks-robot-dev")
    assert set(admin.accounts) == {other.access_key}
