"""The edge's side of the record replicas: what changed (the outbox), each record as the
cloud receives it, and the refusals a person looks at.

The outbox (sync/models.py) says which records changed; a push (replica_push.py) sends each
one's current state once, however many times it changed, then deletes the outbox rows it
covered. Every order, batch and task names its factory (`data.factory_id`: a batch's or a
task's is its order's), because the cloud checks each record's owner against the sender's
service token.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.orders.models import Batch, Order, Task
from keystone_api.registry.models import Factory, Organization
from keystone_api.sync.models import REPLICATED_TABLES, ReplicaOutbox

MODELS: dict[str, Any] = {
    "organization": Organization,
    "order": Order,
    "batch": Batch,
    "task": Task,
}
assert set(MODELS) == set(REPLICATED_TABLES.values())
# Organizations go as metadata only (the specification's data-ownership table).
ORGANIZATION_FIELDS = ("id", "name", "description", "archived_at", "created_at", "updated_at")
# Kinds that belong to one factory but do not carry it in a column of their own.
VIA_ORDER = ("batch", "task")
UNREFUSED = ReplicaOutbox.refused_at.is_(None)


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def serialize(kind: str, obj: Any, factory_id: str | None = None) -> dict[str, Any]:
    fields = ORGANIZATION_FIELDS if kind == "organization" else obj.__table__.columns.keys()
    data = {name: _json_safe(getattr(obj, name)) for name in fields}
    if factory_id is not None:
        data["factory_id"] = factory_id
    return {
        "kind": kind,
        "id": obj.id,
        "version": obj.version,
        "updated_at": _json_safe(obj.updated_at),
        "data": data,
    }


def _current(session: Session, kind: str, ids: list[str]) -> list[dict[str, Any]]:
    model = MODELS[kind]
    if kind in VIA_ORDER:
        rows = session.execute(
            select(model, Order.factory_id)
            .join(Order, Order.id == model.order_id)
            .where(model.id.in_(ids))
        ).all()
        return [serialize(kind, obj, factory_id) for obj, factory_id in rows]
    objs = session.execute(select(model).where(model.id.in_(ids))).scalars()
    return [serialize(kind, obj) for obj in objs]


def pending_changes(session: Session, limit: int) -> tuple[list[int], list[dict[str, Any]]]:
    """The oldest outbox rows not refused and the current state of the records they name."""
    rows = session.execute(
        select(ReplicaOutbox).where(UNREFUSED).order_by(ReplicaOutbox.id).limit(limit)
    ).scalars()
    outbox_ids: list[int] = []
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        outbox_ids.append(row.id)
        wanted[row.kind].add(row.record_id)
    records: list[dict[str, Any]] = []
    for kind, ids in wanted.items():
        if kind in MODELS:  # else a kind this version does not replicate
            records += _current(session, kind, sorted(ids))
    return outbox_ids, records


def outbox_depth(session: Session) -> int:
    """Changes waiting to be pushed (refused ones wait for a person, not for a push)."""
    return int(
        session.execute(
            select(func.count()).select_from(ReplicaOutbox).where(UNREFUSED)
        ).scalar_one()
    )


def refused_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(ReplicaOutbox).where(~UNREFUSED)
        ).scalar_one()
    )


def _of_factory(factory_id: str | None) -> ColumnElement[bool]:
    """Outbox rows of one factory's records (its orders, their batches and tasks, its
    organization): what a principal bound to that factory may see and re-queue."""
    if factory_id is None:
        return true()
    orders = select(Order.id).where(Order.factory_id == factory_id)
    kinds = {
        "order": orders,
        "batch": select(Batch.id).where(Batch.order_id.in_(orders)),
        "task": select(Task.id).where(Task.order_id.in_(orders)),
        "organization": select(Factory.organization_id).where(Factory.id == factory_id),
    }
    return or_(
        *(
            and_(ReplicaOutbox.kind == kind, ReplicaOutbox.record_id.in_(ids))
            for kind, ids in kinds.items()
        )
    )


def refused(session: Session, limit: int, factory_id: str | None) -> list[ReplicaOutbox]:
    return list(
        session.execute(
            select(ReplicaOutbox)
            .where(~UNREFUSED, _of_factory(factory_id))
            .order_by(ReplicaOutbox.id)
            .limit(limit)
        ).scalars()
    )


def requeue_refused(
    session: Session, kind: str | None, record_ids: list[str] | None, factory_id: str | None
) -> int:
    """Push refused records again (their current state), once the cause is fixed."""
    stmt = (
        update(ReplicaOutbox)
        .where(~UNREFUSED, _of_factory(factory_id))
        .values(refused_at=None, refusal=None)
    )
    if kind is not None:
        stmt = stmt.where(ReplicaOutbox.kind == kind)
    if record_ids is not None:
        stmt = stmt.where(ReplicaOutbox.record_id.in_(record_ids))
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def enqueue_all(session: Session) -> int:
    """Put every replicated record in the outbox (a full re-push, e.g. for a new cloud)."""
    total = 0
    now = utcnow()
    for kind, model in MODELS.items():
        ids = session.execute(select(model.id, model.version)).all()
        if ids:
            session.execute(
                insert(ReplicaOutbox),
                [{"kind": kind, "record_id": i, "version": v, "created_at": now} for i, v in ids],
            )
        total += len(ids)
    return total
