"""Operational events that operators must see: pipeline failures and the like."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, id_column


class OperatorEvent(Base):
    __tablename__ = "operator_events"
    __table_args__ = (Index("ix_operator_events_kind_at", "kind", "at"),)
    id: Mapped[str] = id_column()
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(64))  # e.g. pipeline_run_failed
    severity: Mapped[str] = mapped_column(String(16))  # info | warning | critical
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
