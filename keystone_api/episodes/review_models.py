"""What inspection at scale adds to the episode registry: spot checks of auto-approved
episodes (sampled per robot type, held from sync until an inspector decides) and the time
ranges an inspector's decision names in the recording."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, fk, id_column


class SpotCheck(Base):
    """An auto-approved episode sampled for an inspector. It stays auto_approved; while
    `held` it is not queued for the cloud. decided_at is None until an inspector decides."""

    __tablename__ = "spot_checks"
    __table_args__ = (Index("ix_spot_checks_decided_sampled", "decided_at", "sampled_at"),)
    episode_id: Mapped[str] = fk("episodes.id", primary_key=True)
    robot_type_id: Mapped[str | None] = fk("robot_types.id", default=None, index=True)
    # The share the episode was sampled at (the robot type's, then).
    share: Mapped[float] = mapped_column(Double)
    held: Mapped[bool] = mapped_column(Boolean, default=True)
    sampled_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision: Mapped[str | None] = mapped_column(String(16), default=None)  # approve | reject


class InspectionAnnotation(Base):
    """A time range (and optionally a topic) an inspector's decision names, with a note:
    "12.0-14.5 s, /camera_left: occluded"."""

    __tablename__ = "inspection_annotations"
    id: Mapped[str] = id_column()
    decision_id: Mapped[str] = fk("inspection_decisions.id", index=True)
    episode_id: Mapped[str] = fk("episodes.id", index=True)
    start_s: Mapped[float] = mapped_column(Double)
    end_s: Mapped[float] = mapped_column(Double)
    topic: Mapped[str | None] = mapped_column(String(256), default=None)
    note: Mapped[str] = mapped_column(String(500))
