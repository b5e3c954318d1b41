"""Episode registry: landed recordings, their QA results, decisions and status history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Double, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, Timestamps, enum_column_type, fk, id_column


class EpisodeStatus(StrEnum):
    """The specification's QA status values, exactly."""

    pending_qa = "pending_qa"
    auto_approved = "auto_approved"
    needs_inspection = "needs_inspection"
    inspector_approved = "inspector_approved"
    rejected = "rejected"


class Episode(Timestamps, Base):
    __tablename__ = "episodes"
    __table_args__ = (
        Index("ix_episodes_status_landed", "status", "landed_at"),
        Index("ix_episodes_status_approved", "status", "approved_at"),
        Index("ix_episodes_factory_landed", "factory_id", "landed_at"),
        Index("ix_episodes_order_status", "order_id", "status"),
    )
    id: Mapped[str] = id_column()
    # One episode per task, whichever path (transfer gateway, sensor) registers it first.
    task_id: Mapped[str] = fk("tasks.id", unique=True)
    factory_id: Mapped[str] = fk("factories.id")
    order_id: Mapped[str] = fk("orders.id")
    batch_id: Mapped[str] = fk("batches.id", index=True)
    workstation_id: Mapped[str] = fk("workstations.id", index=True)
    robot_id: Mapped[str | None] = fk("robots.id", default=None, index=True)
    data_collector_id: Mapped[str | None] = fk("data_collectors.id", default=None, index=True)
    scene_id: Mapped[str] = fk("scenes.id", index=True)
    subscene_id: Mapped[str] = fk("subscenes.id", index=True)
    sop_id: Mapped[str] = fk("sops.id", index=True)
    status: Mapped[EpisodeStatus] = mapped_column(
        enum_column_type(EpisodeStatus, "episode_status"), default=EpisodeStatus.pending_qa
    )
    # Where the recording is: bucket edge-{factory_id}, either key layout.
    bucket: Mapped[str] = mapped_column(String(63))
    mcap_key: Mapped[str] = mapped_column(String(512))
    sidecar_key: Mapped[str | None] = mapped_column(String(512), default=None)
    mcap_size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sidecar_size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    checksum_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    sidecar_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    sidecar: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # DOUBLE, not FLOAT: dagster_mysql recompiles every Float as FLOAT(32) (a DOUBLE) in any
    # process that imports it, so FLOAT columns would migrate differently by process.
    duration_s: Mapped[float | None] = mapped_column(Double, default=None)
    message_count: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recording_started_at: Mapped[datetime | None] = mapped_column(default=None)
    recording_finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # The Dagster partition (hour) is taken from landed_at.
    landed_at: Mapped[datetime] = mapped_column()
    registered_by: Mapped[str] = mapped_column(String(100), default="")
    qa_score: Mapped[float | None] = mapped_column(Double, default=None)
    qa_passed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    qa_result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    qa_assessed_at: Mapped[datetime | None] = mapped_column(default=None)
    validator_version: Mapped[str | None] = mapped_column(String(32), default=None)
    formula_version: Mapped[str | None] = mapped_column(String(32), default=None)
    # A QA run claims episodes; an expired claim is taken over by the next run.
    qa_claim_token: Mapped[str | None] = mapped_column(String(64), default=None)
    qa_claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    qa_attempts: Mapped[int] = mapped_column(default=0)
    evidence_keys: Mapped[list[Any]] = mapped_column(default=list)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The sidecar's task fields, lower-cased, for free-text search (episodes/search.py);
    # labels are rows of episode_labels (episodes/labels.py).
    task_text: Mapped[str] = mapped_column(Text, default="")


class QaCheck(Base):
    """One QA check's latest result for an episode (a re-run replaces it)."""

    __tablename__ = "qa_checks"
    __table_args__ = (UniqueConstraint("episode_id", "name"),)
    id: Mapped[str] = id_column()
    episode_id: Mapped[str] = fk("episodes.id", index=True)
    name: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Double)
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    validator_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column()


class InspectionDecision(Base):
    __tablename__ = "inspection_decisions"
    id: Mapped[str] = id_column()
    episode_id: Mapped[str] = fk("episodes.id", index=True)
    inspector_user_id: Mapped[str | None] = fk("users.id", default=None, index=True)
    inspector_name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32), default="api")  # api | dagster
    decided_at: Mapped[datetime] = mapped_column(index=True)


class EpisodeStatusChange(Base):
    """Every episode status transition, with time and actor."""

    __tablename__ = "episode_status_history"
    id: Mapped[str] = id_column()
    episode_id: Mapped[str] = fk("episodes.id", index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    cause: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(index=True)
