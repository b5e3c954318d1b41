"""The cloud's replicas belong to the factory (or organization) that wrote them: the replica
hijack of issue 15 (a token of factory 2 froze factory 1's order at version 2147483647),
over real HTTP to a `keystone api` in the cloud role."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from keystone_api.cloud.models import CloudBatch, CloudOrder, CloudOrganization, CloudTask
from keystone_api.cloud.replica_rules import MAX_VERSION_STEP
from tests.api.world import auth
from tests.sync.conftest import Cloud, service_token
from tests.sync.test_receiver import delivery, post

FROZEN = 2**31 - 1


def token(factory_id: str | None = None, organization_id: str | None = None) -> str:
    return service_token(factory_id, ttl_s=600, organization_id=organization_id)


def record(kind: str, record_id: str, version: int, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "id": record_id, "version": version, "data": {"id": record_id, **data}}


def order(record_id: str, version: int, factory_id: str, status: str = "active") -> dict[str, Any]:
    return record("order", record_id, version, factory_id=factory_id, status=status)


def push(cloud: Cloud, records: list[dict[str, Any]], bearer: str) -> httpx.Response:
    return httpx.post(
        cloud.api + "/api/v1/sync/replicas",
        json={"records": records},
        headers=auth(bearer),
        timeout=30,
    )


def refused(response: httpx.Response) -> dict[str, str]:
    """{record id: refusal code} of a refused push."""
    error = response.json()["error"]
    assert error["code"] == "replicas_refused", error
    return {r["id"]: r["code"] for r in error["details"]["refused"]}


def _version(cloud: Cloud, model: Any, record_id: str) -> tuple[int, str] | None:
    with cloud.sessions() as session:
        row = session.get(model, record_id)
        return None if row is None else (row.version, row.factory_id)


def test_another_factorys_token_cannot_freeze_an_order(cloud: Cloud) -> None:
    f1, f2 = (f"factory-{uuid.uuid4().hex[:8]}" for _ in range(2))
    order_id = str(uuid.uuid4())
    assert push(cloud, [order(order_id, 3, f1)], token(f1)).status_code == 200

    # The finding: factory 2's token, factory 1's order, the INT column's last version.
    hijack = push(cloud, [order(order_id, FROZEN, f1)], token(f2))
    assert hijack.status_code == 403
    assert refused(hijack) == {order_id: "wrong_factory"}
    assert order_id in hijack.json()["error"]["message"]  # the answer names the record
    # Claiming the id for itself does not work either: the replica keeps its owner.
    squat = push(cloud, [order(order_id, 4, f2, status="cancelled")], token(f2))
    assert squat.status_code == 403 and refused(squat) == {order_id: "owner_mismatch"}
    # Nor through a fleet-wide token: an id never changes factory.
    assert refused(push(cloud, [order(order_id, 4, f2)], service_token())) == {
        order_id: "owner_mismatch"
    }
    assert _version(cloud, CloudOrder, order_id) == (3, f1)

    # The real edge still moves its order forward.
    assert push(cloud, [order(order_id, 4, f1, "completed")], token(f1)).json()["applied"] == 1
    assert _version(cloud, CloudOrder, order_id) == (4, f1)


def test_batches_and_tasks_carry_their_factory_and_keep_it(cloud: Cloud) -> None:
    f1, f2 = (f"factory-{uuid.uuid4().hex[:8]}" for _ in range(2))
    batch_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    batch = record("batch", batch_id, 1, factory_id=f1, order_id="o1", status="pending")
    task = record(
        "task", task_id, 1, factory_id=f1, order_id="o1", batch_id=batch_id, status="ready"
    )
    assert push(cloud, [batch, task], token(f1)).json() == {"applied": 2, "stale": 0}
    assert _version(cloud, CloudBatch, batch_id) == (1, f1)
    assert _version(cloud, CloudTask, task_id) == (1, f1)

    moved = {**task, "version": 2, "data": {**task["data"], "factory_id": f2}}
    assert refused(push(cloud, [moved], token(f2))) == {task_id: "owner_mismatch"}
    assert refused(push(cloud, [{**batch, "version": 2}], token(f2))) == {batch_id: "wrong_factory"}
    anonymous = record("task", str(uuid.uuid4()), 1, order_id="o1", batch_id=batch_id)
    missing = push(cloud, [anonymous], token(f1))
    assert missing.status_code == 422 and refused(missing) == {anonymous["id"]: "factory_missing"}
    assert _version(cloud, CloudTask, task_id) == (1, f1)


def test_a_batch_with_a_refused_record_applies_nothing(cloud: Cloud) -> None:
    f1, f2 = (f"factory-{uuid.uuid4().hex[:8]}" for _ in range(2))
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    answer = push(cloud, [order(mine, 1, f1), order(theirs, 1, f2)], token(f1))
    assert answer.status_code == 403 and refused(answer) == {theirs: "wrong_factory"}
    assert _version(cloud, CloudOrder, mine) is None  # all or nothing: the sender re-sends it
    assert push(cloud, [order(mine, 1, f1)], token(f1)).json()["applied"] == 1


def test_versions_no_edge_can_reach_are_refused_naming_the_record(cloud: Cloud) -> None:
    f1, order_id = f"factory-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    first = push(cloud, [order(order_id, MAX_VERSION_STEP + 1, f1)], token(f1))
    assert first.status_code == 422 and refused(first) == {order_id: "version_jump"}
    assert f"order '{order_id}' version {MAX_VERSION_STEP + 1}" in first.json()["error"]["message"]
    assert push(cloud, [order(order_id, 7, f1)], token(f1)).json()["applied"] == 1

    jump = push(cloud, [order(order_id, 7 + MAX_VERSION_STEP + 1, f1)], token(f1))
    assert jump.status_code == 422 and refused(jump) == {order_id: "version_jump"}
    beyond = push(cloud, [order(order_id, 2**31, f1)], token(f1))
    assert refused(beyond) == {order_id: "version_out_of_range"}  # not a database error
    assert _version(cloud, CloudOrder, order_id) == (7, f1)
    # Within reach of an edge (a long partition), it goes.
    assert push(cloud, [order(order_id, 7 + MAX_VERSION_STEP, f1)], token(f1)).json() == {
        "applied": 1,
        "stale": 0,
    }


def organization(record_id: str, name: str) -> dict[str, Any]:
    return record("organization", record_id, 1, name=name)


def test_a_token_bound_to_a_factory_writes_no_organization(cloud: Cloud) -> None:
    f1, org = f"factory-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    bound = push(cloud, [organization(org, "Hijacked")], token(f1))
    assert bound.status_code == 403 and refused(bound) == {org: "organization_not_allowed"}
    fleet = push(cloud, [organization(org, "Acme")], service_token())  # bound to nothing
    assert fleet.status_code == 200
    with cloud.sessions() as session:
        row = session.get(CloudOrganization, org)
        assert row is not None and row.name == "Acme"


def test_the_organization_claim_allows_that_organization_only(cloud: Cloud) -> None:
    f1, org, other = f"factory-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()), str(uuid.uuid4())
    claimed = token(f1, organization_id=org)
    assert push(cloud, [organization(org, "Acme")], claimed).json()["applied"] == 1
    assert refused(push(cloud, [organization(other, "Other")], claimed)) == {
        other: "organization_not_allowed"
    }
    assert push(cloud, [order(str(uuid.uuid4()), 1, f1)], claimed).status_code == 200


def test_the_episode_receiver_holds_the_same_factory_rule(cloud: Cloud) -> None:
    body = delivery(cloud)
    other = f"factory-{uuid.uuid4().hex[:8]}"
    assert post(cloud, body, token=token(other)).status_code == 403  # not its factory
    assert post(cloud, body, token=token(body["factory_id"])).status_code == 202
    # Factory 2 names factory 1's episode id as its own, with objects under its own
    # prefix: refused, and nothing of factory 1's episode is told (no checksums, no time).
    theirs = delivery(cloud)
    squat = {**theirs, "episode_id": body["episode_id"]}
    answer = post(cloud, squat, token=token(theirs["factory_id"]))
    assert answer.status_code == 403
    assert "details" not in answer.json()["error"] and "synced_at" not in answer.json()
    assert cloud.episodes()[body["episode_id"]].factory_id == body["factory_id"]
