"""The edge's replica push against the real cloud: records the cloud refuses are parked
with its reason (not pushed again and again, not holding back the others), a record that
cannot be encoded is parked without being sent, and a person re-queues them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from keystone_api.cloud.models import CloudBatch, CloudOrder, CloudOrganization, CloudTask
from keystone_api.db.engine import get_sessionmaker
from keystone_api.orders.models import Task
from keystone_api.settings import Settings
from keystone_api.sync.models import OUTBOX_INSERT, ReplicaOutbox, outbox_row
from tests.api.world import World, auth, build_world, ok, tool_token
from tests.sync.conftest import Cloud
from tests.sync.helpers import drain_all
from tests.sync.test_replica_owners import token

pytestmark = pytest.mark.usefixtures("drained")


def _outbox() -> list[ReplicaOutbox]:
    with get_sessionmaker()() as session:
        return list(session.execute(select(ReplicaOutbox).order_by(ReplicaOutbox.id)).scalars())


def _in_cloud(cloud: Cloud, model: Any, ids: list[str]) -> set[str]:
    with cloud.sessions() as session:
        return set(session.execute(select(model.id).where(model.id.in_(ids))).scalars())


def _records(w: World, order_id: str) -> dict[str, list[str]]:
    with get_sessionmaker()() as session:
        tasks = session.execute(select(Task.id, Task.batch_id).where(Task.order_id == order_id))
        pairs = tasks.all()
    return {
        "order": [order_id],
        "batch": sorted({b for _, b in pairs}),
        "task": [t for t, _ in pairs],
        "organization": [w.org_id],
    }


def test_refused_records_are_parked_with_the_reason_and_the_rest_goes(
    world: World, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    mine, other = world, build_world(world.client)
    mine_ids = _records(mine, mine.order(target=2)["id"])
    other_ids = _records(other, other.order(target=2)["id"])
    assert mine_ids["task"] and mine_ids["batch"]
    # A task whose callback body holds a number JSON cannot carry (stored before callbacks
    # were checked): the push must not choke on it.
    poisoned = mine_ids["task"][0]
    with get_sessionmaker().begin() as session:
        session.execute(
            text("UPDATE tasks SET finish_callback = '{\"duration_sec\": 1e999}' WHERE id = :i"),
            {"i": poisoned},
        )
        session.execute(OUTBOX_INSERT, outbox_row("task", poisoned, 99))

    # The edge's sender holds a token of its own factory, without an organization claim.
    bound = sync_settings(cloud_service_token=SecretStr(token(mine.factory_id)))
    report = drain_all(bound)
    assert not report.replica_errors  # refusals are answers, not outages

    good = [i for i in mine_ids["task"] if i != poisoned]
    assert _in_cloud(cloud, CloudOrder, mine_ids["order"]) == set(mine_ids["order"])
    assert _in_cloud(cloud, CloudBatch, mine_ids["batch"]) == set(mine_ids["batch"])
    assert _in_cloud(cloud, CloudTask, mine_ids["task"]) == set(good)
    for kind, model in (("order", CloudOrder), ("task", CloudTask), ("batch", CloudBatch)):
        assert not _in_cloud(cloud, model, other_ids[kind])
    assert not _in_cloud(cloud, CloudOrganization, [mine.org_id, other.org_id])

    parked = {(r.kind, r.record_id): r.refusal or "" for r in _outbox()}
    assert all(r.refused_at is not None for r in _outbox())  # nothing left to push
    assert "cannot be encoded as JSON" in parked[("task", poisoned)]
    assert parked[("order", other_ids["order"][0])].startswith("wrong_factory")
    assert parked[("organization", mine.org_id)].startswith("organization_not_allowed")
    rows = len(_outbox())  # a record changed twice has two rows
    status = ok(mine.client.get("/api/v1/sync/status", headers=auth(mine.admin)))
    assert status["replica_outbox"] == 0 and status["replica_refused"] == rows
    listed = ok(mine.client.get("/api/v1/sync/replicas/refused", headers=auth(mine.admin)))
    assert {(r["kind"], r["record_id"]) for r in listed} == set(parked)
    # An admin of one factory sees (and may re-queue) only that factory's records.
    theirs = tool_token("admin", other.factory_id)
    seen = ok(mine.client.get("/api/v1/sync/replicas/refused", headers=auth(theirs)))
    other_records = {i for ids in other_ids.values() for i in ids}
    assert seen and {r["record_id"] for r in seen} <= other_records

    # Not pushed again by themselves.
    drain_all(bound)
    assert {(r.kind, r.record_id) for r in _outbox()} == set(parked)

    # A person gives the sender a fleet-wide token and fixes the task; re-queued, they go.
    with get_sessionmaker().begin() as session:
        session.execute(
            text("UPDATE tasks SET finish_callback = NULL WHERE id = :i"), {"i": poisoned}
        )
    operator = mine.user("operator")
    path = "/api/v1/sync/replicas/requeue"
    assert mine.client.post(path, json={}, headers=auth(operator)).status_code == 403
    requeued = ok(mine.client.post(path, json={}, headers=auth(mine.admin)))
    assert requeued["requeued"] == rows
    drain_all(sync_settings())
    assert _in_cloud(cloud, CloudTask, mine_ids["task"] + other_ids["task"]) == set(
        mine_ids["task"] + other_ids["task"]
    )
    assert _in_cloud(cloud, CloudOrganization, [mine.org_id, other.org_id]) == {
        mine.org_id,
        other.org_id,
    }
    with get_sessionmaker()() as session:
        left = session.execute(select(func.count()).select_from(ReplicaOutbox)).scalar_one()
    assert left == 0
