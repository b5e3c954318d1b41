"""Versions of a robot type's QA spec: a new row whenever the spec changes (through the API,
or first seen by a QA run when the robot type was written some other way)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.qa.models import QaSpecVersion


def spec_digest(spec: dict[str, Any] | None) -> str:
    """The same digest for the same spec whatever its key order."""
    text = json.dumps(spec or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def latest_version(session: Session, robot_type_id: str) -> QaSpecVersion | None:
    return session.execute(
        select(QaSpecVersion)
        .where(QaSpecVersion.robot_type_id == robot_type_id)
        .order_by(QaSpecVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def version_for(
    session: Session, robot_type_id: str, spec: dict[str, Any] | None, actor: str
) -> QaSpecVersion:
    """The version whose spec this is: the latest when it matches, else a new one. Called
    when a spec is written and when an assessment records the spec it used."""
    digest = spec_digest(spec)
    latest = latest_version(session, robot_type_id)
    if latest is not None and latest.spec_digest == digest:
        return latest
    number = (
        session.execute(
            select(func.max(QaSpecVersion.version)).where(
                QaSpecVersion.robot_type_id == robot_type_id
            )
        ).scalar()
        or 0
    ) + 1
    row = QaSpecVersion(
        robot_type_id=robot_type_id,
        version=number,
        spec=dict(spec or {}),
        spec_digest=digest,
        created_by=actor[:100],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def versions_of(session: Session, robot_type_id: str) -> list[QaSpecVersion]:
    return list(
        session.execute(
            select(QaSpecVersion)
            .where(QaSpecVersion.robot_type_id == robot_type_id)
            .order_by(QaSpecVersion.version.desc())
        ).scalars()
    )
