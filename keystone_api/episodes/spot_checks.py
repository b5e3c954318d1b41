"""Spot checks: a share of each robot type's auto-approved episodes also goes to an
inspector, as review tools sample approvals, so a QA spec that approves bad recordings
shows up as disagreement instead of in the cloud's data.

Sampling is deterministic (a hash of the episode id against the robot type's
spot_check_share), so the same episode is always sampled or never, on any machine and in
any re-run. A sampled episode stays auto_approved; while the hold is on
(settings.spot_check_hold, the default) the sync queue does not take it until an
inspector decides (sync/queue.enqueue_approved asks `hold`). The decision goes through
inspection.decide like any other: approve releases it to the queue, reject makes it
rejected unless it has already left for the cloud (nothing is taken back from there).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.episodes.review_models import SpotCheck
from keystone_api.fleet.models import Robot, RobotType
from keystone_api.settings import Settings

_SCALE = float(2**64)


def sampled(episode_id: str, share: float) -> bool:
    """Whether `episode_id` falls in a `share` (0..1) sample: the first 8 bytes of its
    SHA-256 as a fraction of 2**64, below the share. Reproducible anywhere."""
    if share <= 0:
        return False
    digest = hashlib.sha256(episode_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE < share


def robot_type_of(session: Session, episode: Episode) -> RobotType | None:
    if episode.robot_id is None:
        return None
    return session.execute(
        select(RobotType)
        .join(Robot, Robot.robot_type_id == RobotType.id)
        .where(Robot.id == episode.robot_id)
    ).scalar_one_or_none()


def hold(session: Session, settings: Settings, episode: Episode) -> bool:
    """Sample an auto-approved episode (once) and say whether sync must wait for an
    inspector. Idempotent: an episode sampled before keeps its spot check."""
    if episode.status != EpisodeStatus.auto_approved:
        return False
    spot = session.get(SpotCheck, episode.id)
    if spot is None:
        robot_type = robot_type_of(session, episode)
        share = robot_type.spot_check_share if robot_type is not None else settings.spot_check_share
        if not sampled(episode.id, share):
            return False
        spot = SpotCheck(
            episode_id=episode.id,
            robot_type_id=robot_type.id if robot_type is not None else None,
            share=share,
            held=settings.spot_check_hold,
            sampled_at=utcnow(),
        )
        session.add(spot)
        session.flush()
    return spot.held and spot.decided_at is None


def pending(session: Session, episode_id: str) -> SpotCheck | None:
    """The episode's undecided spot check (locked), if any."""
    return session.execute(
        select(SpotCheck)
        .where(SpotCheck.episode_id == episode_id, SpotCheck.decided_at.is_(None))
        .with_for_update()
    ).scalar_one_or_none()


def pending_ids() -> Select[Any]:
    """A subquery of the episodes whose spot check waits for an inspector."""
    return select(SpotCheck.episode_id).where(SpotCheck.decided_at.is_(None))


def held_ids() -> Select[Any]:
    """A subquery of the episodes held from sync (for the sync queue's own selections)."""
    return select(SpotCheck.episode_id).where(
        SpotCheck.decided_at.is_(None), SpotCheck.held.is_(True)
    )


def record_decision(spot: SpotCheck, decision: str) -> None:
    spot.decision = decision
    spot.decided_at = utcnow()
    spot.held = False


def agreement(
    session: Session,
    factory_id: str | None,
    decided_after: datetime | None = None,
    decided_before: datetime | None = None,
) -> list[dict[str, Any]]:
    """Per robot type (of the factory's robots, when one is named): its share, spot checks
    waiting, decided in the window, approved (the inspector agreed with QA), and the
    agreement rate (stats/rates.py)."""
    from keystone_api.stats.rates import value

    in_window: Any = SpotCheck.decided_at.is_not(None)
    if decided_after is not None:
        in_window = in_window & (SpotCheck.decided_at >= decided_after)
    if decided_before is not None:
        in_window = in_window & (SpotCheck.decided_at < decided_before)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    joined = SpotCheck.robot_type_id == RobotType.id
    stmt = select(
        RobotType.id,
        RobotType.name,
        RobotType.spot_check_share,
        count(SpotCheck.decided_at.is_(None) & SpotCheck.episode_id.is_not(None)),
        count(in_window),
        count(in_window & (SpotCheck.decision == "approve")),
    ).where(RobotType.archived_at.is_(None))
    if factory_id is not None:
        joined = joined & SpotCheck.episode_id.in_(
            select(Episode.id).where(Episode.factory_id == factory_id)
        )
        stmt = stmt.where(
            RobotType.id.in_(select(Robot.robot_type_id).where(Robot.factory_id == factory_id))
        )
    stmt = (
        stmt.select_from(RobotType)
        .outerjoin(SpotCheck, joined)
        .group_by(RobotType.id, RobotType.name, RobotType.spot_check_share)
        .order_by(RobotType.name)
    )
    out = []
    for type_id, name, share, waiting, n_decided, agreed in session.execute(stmt):
        counts = {"spot_checks_decided": n_decided, "spot_checks_agreed": agreed}
        out.append(
            {
                "robot_type_id": type_id,
                "robot_type": name,
                "share": share,
                "waiting": int(waiting),
                "decided": int(n_decided),
                "agreed": int(agreed),
                "spot_check_agreement_rate": value("spot_check_agreement_rate", counts),
            }
        )
    return out
