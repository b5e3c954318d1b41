"""Upserting the edges' records: by id, only ever to a higher version, only by a sender
allowed to write them (replica_rules.py).

A replay (same version) or a late, older delivery is counted `stale` and changes nothing,
so deliveries may repeat and arrive in any order and the replica still converges on the
edge's newest state. A batch is all or nothing: when any record is refused, none is
applied and the answer names every refused one (the sender parks those and sends the rest
again), so a push is never half-applied and a good record is never lost with a bad one.
The cloud never writes these records otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.cloud.models import FACTORY_OWNED, REPLICA_COLUMNS, REPLICA_MODELS, Replica
from keystone_api.cloud.replica_rules import Refusal, Stored, Writer, check, owner_of, refused
from keystone_api.cloud.schemas import ReplicaRecord
from keystone_api.db.base import utcnow


def _locked(session: Session, model: type[Replica], record_id: str) -> Any:
    return session.execute(
        select(model).where(model.id == record_id).with_for_update()  # type: ignore[attr-defined]
    ).scalar_one_or_none()


def _stored(row: Any, kind: str) -> Stored:
    return Stored(row.factory_id if kind in FACTORY_OWNED else "", row.version)


def _fill(row: Any, record: ReplicaRecord, source: str) -> None:
    row.version = record.version
    row.data = record.data
    row.source_updated_at = record.updated_at
    row.received_at = utcnow()
    row.received_from = source[:100]
    columns = type(row).__table__.columns
    for column in REPLICA_COLUMNS[record.kind]:
        value = record.data.get(column)
        width = getattr(columns[column].type, "length", None) or 200
        setattr(row, column, "" if value is None else str(value)[:width])


def _existing(session: Session, records: list[ReplicaRecord]) -> dict[tuple[str, str], Stored]:
    """The replicas the batch names, as the cloud has them now (one SELECT per kind)."""
    out: dict[tuple[str, str], Stored] = {}
    for kind, replica in REPLICA_MODELS.items():
        ids = sorted({r.id for r in records if r.kind == kind})
        model: Any = replica
        if ids:
            for row in session.execute(select(model).where(model.id.in_(ids))).scalars():
                out[(kind, row.id)] = _stored(row, kind)
    return out


def _check_batch(
    records: list[ReplicaRecord], writer: Writer, existing: dict[tuple[str, str], Stored]
) -> list[Refusal]:
    refusals: list[Refusal] = []
    owners: dict[tuple[str, str], str] = {}
    for record in records:
        key = (record.kind, record.id)
        stored = existing.get(key)
        if record.kind in FACTORY_OWNED and stored is None and key in owners:
            # Two owners for one new id in the same batch: the second is the one refused.
            stored = Stored(owners[key], 0)
        problem = check(record, writer, stored)
        if problem is not None:
            refusals.append(problem)
        elif record.kind in FACTORY_OWNED:
            owners.setdefault(key, owner_of(record) or "")
    return refusals


def upsert(session: Session, record: ReplicaRecord, writer: Writer) -> bool:
    """True when the record was inserted or advanced to a newer version."""
    model: Any = REPLICA_MODELS[record.kind]
    row = _locked(session, model, record.id)
    if row is None:
        fresh = model(id=record.id)
        _fill(fresh, record, writer.actor)
        try:
            with session.begin_nested():
                session.add(fresh)
            return True
        except IntegrityError:
            session.expunge_all()  # a concurrent push inserted it first: compare versions
            row = _locked(session, model, record.id)
    # Checked again under the row lock: a concurrent push may have written it since.
    problem = check(record, writer, _stored(row, record.kind))
    if problem is not None:
        raise refused([problem], 1)
    if record.version <= row.version:
        return False
    _fill(row, record, writer.actor)
    return True


def upsert_all(session: Session, records: list[ReplicaRecord], writer: Writer) -> tuple[int, int]:
    """(applied, stale); raises the refusal naming every refused record, nothing applied."""
    refusals = _check_batch(records, writer, _existing(session, records))
    if refusals:
        raise refused(refusals, len(records))
    applied = sum(upsert(session, record, writer) for record in records)
    session.flush()
    return applied, len(records) - applied
