"""Edge -> cloud sync state per episode, the attempt log, and the replica outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Connection, Index, Integer, String, Text, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, Timestamps, Versioned, enum_column_type, fk, utcnow


class SyncState(StrEnum):
    waiting = "waiting"  # approved, manual mode: an operator must queue it
    queued = "queued"
    uploading = "uploading"
    synced = "synced"
    # Stopped on an error retrying cannot fix (bad edge data, a payload the cloud refuses,
    # a bug): last_error says why. Not retried and not holding back the episodes approved
    # after it; a person fixes the cause and re-queues it (never final while the edge keeps
    # the episode).
    failed = "failed"


class EpisodeSync(Timestamps, Base):
    __tablename__ = "episode_sync"
    __table_args__ = (Index("ix_episode_sync_state_approved", "state", "approved_at"),)
    episode_id: Mapped[str] = fk("episodes.id", primary_key=True)
    state: Mapped[SyncState] = mapped_column(enum_column_type(SyncState, "sync_state"))
    # Copied from the episode: the queue drains in approval order.
    approved_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    # Multipart upload in flight, so a restarted sender resumes instead of restarting.
    multipart_upload_id: Mapped[str | None] = mapped_column(String(255), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    synced_at: Mapped[datetime | None] = mapped_column(default=None)
    cloud_mcap_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    cloud_sidecar_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class SyncAttempt(Base):
    __tablename__ = "sync_attempts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    episode_id: Mapped[str] = fk("episodes.id", index=True)
    at: Mapped[datetime] = mapped_column()
    # synced | already_synced | error (retried) | failed (waits for a person)
    outcome: Mapped[str] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_s: Mapped[float | None] = mapped_column(default=None)


# Versioned tables replicated to the cloud, and the kind each is sent as.
REPLICATED_TABLES = {
    "organizations": "organization",
    "orders": "order",
    "batches": "batch",
    "tasks": "task",
}


class ReplicaOutbox(Base):
    """A change to a replicated record, written in the same transaction as the change.

    Why an outbox and not a scan by updated_at or version: versions are per row (no global
    high-water mark to scan from), and updated_at is set before commit, so a transaction that
    commits late would hide its rows behind a watermark that already moved on. A row here
    commits with the change or not at all. The pusher sends the record's *current* state
    (several rows of one record collapse into one push) and deletes the rows it sent.
    """

    __tablename__ = "replica_outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column()
    # Set when the cloud refused the record (or it could not be encoded): kept, with the
    # reason, for a person, and not pushed again, so one bad record never stalls the others.
    # A later change of the record adds a new row, which is pushed as usual.
    refused_at: Mapped[datetime | None] = mapped_column(default=None)
    refusal: Mapped[str | None] = mapped_column(Text, default=None)


def outbox_row(kind: str, record_id: str, version: int) -> dict[str, Any]:
    return {"kind": kind, "record_id": record_id, "version": version, "created_at": utcnow()}


# The INSERT of one change, built once: executed with outbox_row(...) as parameters by the
# mapper event below and by code that writes replicated rows with Core (where the event
# does not fire), skipping the statement's construction and cache key on every call.
OUTBOX_INSERT = insert(ReplicaOutbox)


def _record_change(_mapper: Any, connection: Connection, target: Any) -> None:
    kind = REPLICATED_TABLES.get(getattr(target, "__tablename__", ""))
    if kind is None:
        return
    connection.execute(OUTBOX_INSERT, outbox_row(kind, target.id, target.version))


# A mapper event on the Versioned mixin reaches every replicated model, whichever module
# changes it (API, Dagster, CLI), in the flush that writes the row.
event.listen(Versioned, "after_insert", _record_change, propagate=True)
event.listen(Versioned, "after_update", _record_change, propagate=True)
