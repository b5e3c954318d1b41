"""The QA spec an episode is held to: its robot type's, refined by subscene and SOP."""

from __future__ import annotations

from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.fleet.models import RobotType
from keystone_api.registry.models import Sop, Subscene
from keystone_pipelines.validator.spec import QaSpec, parse_spec


def qa_spec_for(session: Session, episode: Episode) -> QaSpec:
    subscene = session.get(Subscene, episode.subscene_id)
    robot_type = session.get(RobotType, subscene.robot_type_id) if subscene else None
    sop = session.get(Sop, episode.sop_id)
    base = parse_spec(robot_type.qa_spec if robot_type and robot_type.qa_spec else {})
    return base.merge(subscene.qa_spec if subscene else None, sop.qa_spec if sop else None)
