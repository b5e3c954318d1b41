"""Edge -> cloud sync state per episode, and the attempt log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, Timestamps, enum_column_type, fk


class SyncState(StrEnum):
    waiting = "waiting"  # approved, manual mode: an operator must queue it
    queued = "queued"
    uploading = "uploading"
    synced = "synced"
    failed = "failed"  # retrying with backoff; never final while the edge keeps it


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
    outcome: Mapped[str] = mapped_column(String(32))  # synced | already_synced | error
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_s: Mapped[float | None] = mapped_column(default=None)
