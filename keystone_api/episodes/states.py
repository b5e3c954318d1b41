"""The episode QA status machine, the one place the API and Dagster both go through.

pending_qa -> auto_approved        (score >= 0.90)
pending_qa -> needs_inspection     (score <  0.90)
needs_inspection -> inspector_approved | rejected   (an inspector decides)
auto_approved -> rejected          (an inspector rejects a spot check before it left for
                                    the cloud: episodes/spot_checks.py)

A re-assessment (keystone_api/qa/reassess.py) may move a decided episode to what its new
score decides (auto_approved or needs_inspection), unless `reassessment_hold` says why not:
an episode synced (or syncing) to the cloud is never taken back, and an inspector's decision
stands unless the request overrides it explicitly.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode, EpisodeStatusChange
from keystone_api.episodes.models import EpisodeStatus as E
from keystone_api.errors import Conflict

ALLOWED: dict[E, frozenset[E]] = {
    E.pending_qa: frozenset({E.auto_approved, E.needs_inspection}),
    E.needs_inspection: frozenset({E.inspector_approved, E.rejected}),
    E.auto_approved: frozenset({E.rejected}),
    E.inspector_approved: frozenset(),
    E.rejected: frozenset(),
}
APPROVED = frozenset({E.auto_approved, E.inspector_approved})
INSPECTED = frozenset({E.inspector_approved, E.rejected})
REASSESSED: dict[E, frozenset[E]] = {
    E.pending_qa: ALLOWED[E.pending_qa],
    E.auto_approved: frozenset({E.needs_inspection}),
    E.needs_inspection: frozenset({E.auto_approved}),
    E.inspector_approved: frozenset({E.auto_approved, E.needs_inspection}),
    E.rejected: frozenset({E.auto_approved, E.needs_inspection}),
}
# Sync states after which an episode belongs to the cloud (keystone_api.sync.models.SyncState).
IN_THE_CLOUD = frozenset({"synced", "uploading"})


def reassessment_hold(current: E, sync_state: str | None, override_inspector: bool) -> str | None:
    """Why a re-assessment must leave this episode's status as it is (None: it may change)."""
    if sync_state in IN_THE_CLOUD:
        return "synced"
    if current in INSPECTED and not override_inspector:
        return "inspector_decided"
    return None


class IllegalEpisodeTransition(Conflict):
    code = "illegal_transition"


def transition(
    session: Session,
    episode: Episode,
    target: E,
    actor: str,
    cause: str = "",
    *,
    reassessment: bool = False,
) -> None:
    current = episode.status
    if target not in (REASSESSED if reassessment else ALLOWED)[current]:
        raise IllegalEpisodeTransition(
            f"episode '{episode.id}' is {current.value}; it cannot become {target.value}",
            {"episode_id": episode.id, "current_status": current.value, "requested": target.value},
        )
    now = utcnow()
    episode.status = target
    if target in APPROVED:
        episode.approved_at = now
    elif reassessment and current in APPROVED:
        episode.approved_at = None  # a re-assessment took the approval back
    session.add(
        EpisodeStatusChange(
            episode_id=episode.id,
            from_status=current.value,
            to_status=target.value,
            actor=actor,
            cause=cause[:500],
            at=now,
        )
    )


def record_creation(session: Session, episode: Episode, actor: str, cause: str) -> None:
    session.add(
        EpisodeStatusChange(
            episode_id=episode.id,
            from_status=None,
            to_status=episode.status.value,
            actor=actor,
            cause=cause[:500],
            at=utcnow(),
        )
    )
