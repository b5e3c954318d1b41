"""An inspector's decision on a flagged episode: the one function the API's
POST /episodes/{id}/inspection and the Dagster inspection job both call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes import annotations as annotation_rules
from keystone_api.episodes import spot_checks, states
from keystone_api.episodes.annotations import Annotation
from keystone_api.episodes.models import Episode, EpisodeStatus, InspectionDecision
from keystone_api.errors import Invalid, NotFound
from keystone_api.orders.models import Order
from keystone_api.orders.progress import refresh_order
from keystone_api.orders.scheduling import top_up
from keystone_api.settings import Settings
from keystone_api.sync.models import EpisodeSync, SyncState
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
    annotations: Sequence[Annotation] = (),
) -> Episode:
    """Approve or reject an episode awaiting inspection, or an auto-approved one sampled
    for a spot check (409 from any other status). `annotations` name time ranges of the
    recording (checked against its duration)."""
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
    annotation_rules.check(annotations, episode.duration_s)
    actor = f"{source}:{inspector_name}"
    spot = spot_checks.pending(session, episode.id)
    if episode.status == EpisodeStatus.auto_approved:
        if spot is None:  # only a spot check puts an auto-approved episode before a person
            raise states.IllegalEpisodeTransition(
                f"episode '{episode.id}' is auto_approved and not sampled for a spot check "
                "(or its spot check was decided)",
                {"episode_id": episode.id, "current_status": episode.status.value},
            )
        spot_checks.record_decision(spot, decision)
        target = _spot_check_target(session, episode, decision)
        if target != episode.status:
            states.transition(session, episode, target, actor, reason or decision)
    else:
        states.transition(session, episode, target, actor, reason or decision)
    record = InspectionDecision(
        episode_id=episode.id,
        inspector_user_id=inspector_user_id,
        inspector_name=inspector_name,
        decision=decision,
        reason=reason,
        notes=notes,
        source=source,
        decided_at=utcnow(),
    )
    session.add(record)
    session.flush()
    annotation_rules.store(session, record.id, episode.id, annotations)
    order = session.get(Order, episode.order_id)
    if target == EpisodeStatus.auto_approved:
        enqueue_approved(session, episode, settings)  # a spot check's hold is released
    elif target == EpisodeStatus.inspector_approved:
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


def _spot_check_target(session: Session, episode: Episode, decision: str) -> EpisodeStatus:
    """A spot check's approval keeps the episode auto_approved (QA was right); its
    rejection makes it rejected while it is still at the edge, and is only recorded (as
    disagreement) once it has started for the cloud: nothing is taken back from there."""
    if decision == "approve":
        return EpisodeStatus.auto_approved
    row = session.execute(
        select(EpisodeSync).where(EpisodeSync.episode_id == episode.id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        return EpisodeStatus.rejected
    if row.state in (SyncState.waiting, SyncState.failed) or (
        row.state == SyncState.queued and row.claimed_by is None and row.bytes_sent == 0
    ):
        session.delete(row)  # not sent: withdrawn from the queue
        return EpisodeStatus.rejected
    return EpisodeStatus.auto_approved


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
