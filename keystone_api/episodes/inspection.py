"""An inspector's decision on a flagged episode: the one function the API's
POST /episodes/{id}/inspection and the Dagster inspection job both call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes import states
from keystone_api.episodes.models import Episode, EpisodeStatus, InspectionDecision
from keystone_api.errors import Invalid, NotFound
from keystone_api.orders.models import Order
from keystone_api.orders.progress import refresh_order
from keystone_api.orders.scheduling import top_up
from keystone_api.settings import Settings
from keystone_api.sync.queue import enqueue_approved

DECISIONS = {"approve": EpisodeStatus.inspector_approved, "reject": EpisodeStatus.rejected}


def decide(
    session: Session,
    settings: Settings,
    episode_id: str,
    decision: str,
    *,
    inspector_name: str,
    inspector_user_id: str | None = None,
    reason: str = "",
    notes: str = "",
    source: str = "api",
    factory_id: str | None = None,
) -> Episode:
    """Approve or reject an episode awaiting inspection (409 from any other status)."""
    target = DECISIONS.get(decision)
    if target is None:
        raise Invalid("decision: must be 'approve' or 'reject'")
    if decision == "reject" and not reason.strip():
        raise Invalid("reason: required when rejecting")
    episode = session.execute(
        select(Episode).where(Episode.id == episode_id).with_for_update()
    ).scalar_one_or_none()
    if episode is None or (factory_id is not None and episode.factory_id != factory_id):
        raise NotFound(f"episode '{episode_id}' not found")
    actor = f"{source}:{inspector_name}"
    states.transition(session, episode, target, actor, reason or decision)
    session.add(
        InspectionDecision(
            episode_id=episode.id,
            inspector_user_id=inspector_user_id,
            inspector_name=inspector_name,
            decision=decision,
            reason=reason,
            notes=notes,
            source=source,
            decided_at=utcnow(),
        )
    )
    session.flush()
    order = session.get(Order, episode.order_id)
    if target == EpisodeStatus.inspector_approved:
        enqueue_approved(session, episode, settings)
        if order is not None:
            refresh_order(session, order, actor)
    elif order is not None and order.status.value in ("active", "paused"):
        # A rejection may leave the order short: replacement tasks, preferably at the
        # same workstation.
        from keystone_api.orders.models import Task

        task = session.get(Task, episode.task_id)
        top_up(
            session,
            order,
            replaces=episode.task_id,
            prefer_workstation=task.workstation_id if task else None,
        )
    return episode


def decisions_after(
    session: Session, after: tuple[datetime, str] | None, limit: int = 2000
) -> list[tuple[str, datetime, datetime]]:
    """(decision id, decided_at, the episode's landed_at) of the decisions after `after`
    (a (decided_at, id) position), oldest first: what the Dagster sensor re-gates."""
    stmt = (
        select(InspectionDecision.id, InspectionDecision.decided_at, Episode.landed_at)
        .join(Episode, Episode.id == InspectionDecision.episode_id)
        .order_by(InspectionDecision.decided_at, InspectionDecision.id)
        .limit(limit)
    )
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            (InspectionDecision.decided_at > at)
            | ((InspectionDecision.decided_at == at) & (InspectionDecision.id > last_id))
        )
    return [(i, decided, landed) for i, decided, landed in session.execute(stmt)]
