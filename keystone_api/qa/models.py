"""QA history: every assessment of an episode, the versions of each robot type's QA spec,
and the re-assessment requests (who asked, why) with the episodes they marked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Double, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, fk, id_column


class QaSpecVersion(Base):
    """One version of a robot type's QA spec: a new row whenever the spec changes.

    Subscene and SOP overrides are not numbered here: an SOP change is already a new SOP row
    (its id is its version), and every assessment keeps the digest of the effective (merged)
    spec it used, which changes with any override."""

    __tablename__ = "qa_spec_versions"
    __table_args__ = (UniqueConstraint("robot_type_id", "version"),)
    id: Mapped[str] = id_column()
    robot_type_id: Mapped[str] = fk("robot_types.id", index=True)
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    spec_digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column()


class QaReassessRequest(Base):
    """A request to re-assess episodes: who asked, why, from where, with which filter."""

    __tablename__ = "qa_reassess_requests"
    id: Mapped[str] = id_column()
    requested_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    override_inspector: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))  # api | cli | dagster
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    marked: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)


class QaReassessMark(Base):
    """An episode waiting to be re-assessed: the QA run claims it as it claims a pending one;
    its status (the old decision) stays until the new assessment is recorded."""

    __tablename__ = "qa_reassess_marks"
    episode_id: Mapped[str] = fk("episodes.id", primary_key=True)
    request_id: Mapped[str] = fk("qa_reassess_requests.id", index=True)
    marked_at: Mapped[datetime] = mapped_column()


class QaAssessment(Base):
    """One QA assessment of an episode, kept forever; the latest applied one decides (the
    episode's qa_* columns are its copy). `held` says why a re-assessment did not change the
    episode (synced to the cloud, or decided by an inspector)."""

    __tablename__ = "qa_assessments"
    __table_args__ = (Index("ix_qa_assessments_episode_at", "episode_id", "assessed_at"),)
    id: Mapped[str] = id_column()
    episode_id: Mapped[str] = fk("episodes.id")
    assessed_at: Mapped[datetime] = mapped_column()
    score: Mapped[float] = mapped_column(Double)
    passed: Mapped[bool] = mapped_column(Boolean)
    decided_status: Mapped[str] = mapped_column(String(32))  # what the score decides
    status_before: Mapped[str] = mapped_column(String(32))
    status_after: Mapped[str] = mapped_column(String(32))  # what the episode is now
    held: Mapped[str | None] = mapped_column(String(32), default=None)
    checks: Mapped[list[Any]] = mapped_column(default=list)  # [{name, passed, score, detail}]
    findings: Mapped[list[Any]] = mapped_column(default=list)
    spec_version_id: Mapped[str | None] = fk("qa_spec_versions.id", default=None, index=True)
    spec_version: Mapped[int | None] = mapped_column(Integer, default=None)
    spec_digest: Mapped[str] = mapped_column(String(64), default="")  # the effective spec
    validator_version: Mapped[str] = mapped_column(String(32))
    formula_version: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(16))  # landing | reassess
    request_id: Mapped[str | None] = fk("qa_reassess_requests.id", default=None, index=True)
