"""Assessment history: one row per QA assessment of an episode, with the versions it used."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.fleet.models import RobotType
from keystone_api.qa.models import QaAssessment, QaSpecVersion
from keystone_api.qa.spec_versions import version_for
from keystone_api.registry.models import Subscene


def judging_version(
    session: Session,
    episode: Episode,
    robot_type_id: str | None,
    robot_type_spec: dict[str, Any] | None,
    actor: str,
) -> QaSpecVersion | None:
    """The version of the robot type's spec the assessment used: named by the QA run (the
    spec it read), or the robot type's current spec when the caller did not say."""
    if robot_type_id is None:
        subscene = session.get(Subscene, episode.subscene_id)
        robot_type = session.get(RobotType, subscene.robot_type_id) if subscene else None
        if robot_type is None:
            return None
        robot_type_id, robot_type_spec = robot_type.id, dict(robot_type.qa_spec or {})
    return version_for(session, robot_type_id, robot_type_spec, actor)


def add_assessment(session: Session, **fields: Any) -> QaAssessment:
    row = QaAssessment(**fields)
    session.add(row)
    return row


def assessments_of(session: Session, episode_id: str) -> list[QaAssessment]:
    """Newest first."""
    return list(
        session.execute(
            select(QaAssessment)
            .where(QaAssessment.episode_id == episode_id)
            .order_by(QaAssessment.assessed_at.desc(), QaAssessment.id.desc())
        ).scalars()
    )
