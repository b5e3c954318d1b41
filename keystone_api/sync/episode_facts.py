"""The `catalog` facts an episode's delivery carries to the cloud (CatalogFacts in
cloud/schemas.py): where it came from (factory, task, order, batch, workstation, robot) and
what the cloud's catalog filters on (robot type, scene, subscene, skills, labels, QA score
and checks), by name as well as id: the cloud keeps no copy of the edge's registries. Cut to
what the receiver accepts, so a long name never makes a delivery permanently refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.episodes.labels import labels_of
from keystone_api.episodes.models import Episode, QaCheck
from keystone_api.fleet.models import Robot, RobotType, Workstation
from keystone_api.registry.models import Factory, Scene, Skill, Subscene, SubsceneSkill

NAME, TAG, MAX_TAGS = 200, 100, 50


def _name(row: Any) -> str:
    return str(getattr(row, "name", "") or "")[:NAME]


def _tags(values: Any) -> list[str]:
    found = [v.strip()[:TAG] for v in values or [] if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(found))[:MAX_TAGS]


def _checks(session: Session, episode_id: str) -> list[dict[str, Any]]:
    """The latest result of each check (a re-assessed episode has older rows too)."""
    rows = session.execute(
        select(QaCheck).where(QaCheck.episode_id == episode_id).order_by(QaCheck.created_at)
    ).scalars()
    latest = {row.name: row for row in rows}
    return [
        {
            "name": row.name[:64],
            "passed": bool(row.passed),
            "score": float(row.score),
            "detail": (row.detail or "")[:500],
        }
        for row in list(latest.values())[:MAX_TAGS]
    ]


def catalog_facts(session: Session, episode: Episode) -> dict[str, Any]:
    subscene = session.get(Subscene, episode.subscene_id)
    robot = session.get(Robot, episode.robot_id) if episode.robot_id else None
    type_id = robot.robot_type_id if robot else (subscene.robot_type_id if subscene else None)
    skills = session.execute(
        select(Skill.name)
        .join(SubsceneSkill, SubsceneSkill.skill_id == Skill.id)
        .where(SubsceneSkill.subscene_id == episode.subscene_id)
        .order_by(SubsceneSkill.position)
    ).scalars()
    score = episode.qa_score
    return {
        "factory_name": _name(session.get(Factory, episode.factory_id)),
        "task_id": episode.task_id,
        "order_id": episode.order_id,
        "batch_id": episode.batch_id,
        "workstation_id": episode.workstation_id,
        "workstation": _name(session.get(Workstation, episode.workstation_id)),
        "robot_id": episode.robot_id,
        "device_id": (robot.device_id if robot else "")[:NAME],
        "robot_type": _name(session.get(RobotType, type_id) if type_id else None),
        "scene": _name(session.get(Scene, episode.scene_id)),
        "subscene": _name(subscene),
        "skills": _tags(skills),
        "labels": _tags(labels_of(session, [episode.id])[episode.id]),
        "qa_score": min(max(score, 0.0), 1.0) if score is not None else None,
        "qa_checks": _checks(session, episode.id),
    }
