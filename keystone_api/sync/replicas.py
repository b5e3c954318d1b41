"""Pushing the edge's operational records (organizations, orders, batches, tasks) to the
cloud's replicas: unidirectional, through the receiver's authenticated, idempotent
POST /api/v1/sync/replicas, upserted there by id and version.

The outbox (sync/models.py) says which records changed; a push sends each one's current
state once, however many times it changed, then deletes the outbox rows it covered. A
failed push deletes nothing: the next one sends the same records again (the cloud ignores
versions it already has), so a partition only delays the replicas.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.orders.models import Batch, Order, Task
from keystone_api.registry.models import Organization
from keystone_api.sync.errors import ReceiverRejected
from keystone_api.sync.link import CloudLink
from keystone_api.sync.models import REPLICATED_TABLES, ReplicaOutbox

log = logging.getLogger("keystone.sync.replicas")

MODELS: dict[str, Any] = {
    "organization": Organization,
    "order": Order,
    "batch": Batch,
    "task": Task,
}
assert set(MODELS) == set(REPLICATED_TABLES.values())
# Organizations go as metadata only (the specification's data-ownership table).
ORGANIZATION_FIELDS = ("id", "name", "description", "archived_at", "created_at", "updated_at")
CHUNK = 200


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def serialize(kind: str, obj: Any) -> dict[str, Any]:
    fields = ORGANIZATION_FIELDS if kind == "organization" else obj.__table__.columns.keys()
    return {
        "kind": kind,
        "id": obj.id,
        "version": obj.version,
        "updated_at": _json_safe(obj.updated_at),
        "data": {name: _json_safe(getattr(obj, name)) for name in fields},
    }


def pending_changes(session: Session, limit: int) -> tuple[list[int], list[dict[str, Any]]]:
    """The oldest outbox rows and the current state of the records they name."""
    rows = session.execute(select(ReplicaOutbox).order_by(ReplicaOutbox.id).limit(limit)).scalars()
    outbox_ids: list[int] = []
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        outbox_ids.append(row.id)
        wanted[row.kind].add(row.record_id)
    records: list[dict[str, Any]] = []
    for kind, ids in wanted.items():
        model = MODELS.get(kind)
        if model is None:
            continue  # a kind this version does not replicate
        for obj in session.execute(select(model).where(model.id.in_(sorted(ids)))).scalars():
            records.append(serialize(kind, obj))
    return outbox_ids, records


def push_replicas(
    session_factory: Callable[[], Session], link: CloudLink, *, limit: int = 1000
) -> int:
    """Push up to `limit` outbox rows' records; returns how many records were sent.
    Raises SyncError when the cloud does not take them (nothing is deleted then)."""
    with session_factory() as session:
        outbox_ids, records = pending_changes(session, limit)
    if not outbox_ids:
        return 0
    for start in range(0, len(records), CHUNK):
        response = link.post("/api/v1/sync/replicas", {"records": records[start : start + CHUNK]})
        if response.status_code != 200:
            raise ReceiverRejected(
                f"replicas refused: {response.status_code} {response.text[:300]}",
                response.status_code,
            )
    with session_factory() as session, session.begin():
        session.execute(delete(ReplicaOutbox).where(ReplicaOutbox.id.in_(outbox_ids)))
    return len(records)


def outbox_depth(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(ReplicaOutbox)).scalar_one())


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
