"""Upserting the edges' records: by id, and only ever to a higher version.

A replay (same version) or a late, older delivery is counted `stale` and changes nothing,
so deliveries may repeat and arrive in any order and the replica still converges on the
edge's newest state. The cloud never writes these records otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.cloud.models import REPLICA_COLUMNS, REPLICA_MODELS, Replica
from keystone_api.cloud.schemas import ReplicaRecord
from keystone_api.db.base import utcnow


def _locked(session: Session, model: type[Replica], record_id: str) -> Any:
    return session.execute(
        select(model).where(model.id == record_id).with_for_update()  # type: ignore[attr-defined]
    ).scalar_one_or_none()


def _fill(row: Any, record: ReplicaRecord, source: str) -> None:
    row.version = record.version
    row.data = record.data
    row.source_updated_at = record.updated_at
    row.received_at = utcnow()
    row.received_from = source[:100]
    for column in REPLICA_COLUMNS[record.kind]:
        value = record.data.get(column)
        setattr(row, column, "" if value is None else str(value)[:200])


def upsert(session: Session, record: ReplicaRecord, source: str) -> bool:
    """True when the record was inserted or advanced to a newer version."""
    model: Any = REPLICA_MODELS[record.kind]
    row = _locked(session, model, record.id)
    if row is None:
        fresh = model(id=record.id)
        _fill(fresh, record, source)
        try:
            with session.begin_nested():
                session.add(fresh)
            return True
        except IntegrityError:
            session.expunge_all()  # a concurrent push inserted it first: compare versions
            row = _locked(session, model, record.id)
    if record.version <= row.version:
        return False
    _fill(row, record, source)
    return True


def upsert_all(session: Session, records: list[ReplicaRecord], source: str) -> tuple[int, int]:
    applied = sum(upsert(session, record, source) for record in records)
    session.flush()
    return applied, len(records) - applied
