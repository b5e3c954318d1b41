"""The episode QA status machine, the one place the API and Dagster both go through.

pending_qa -> auto_approved        (score >= 0.90)
pending_qa -> needs_inspection     (score <  0.90)
needs_inspection -> inspector_approved | rejected   (an inspector decides)
auto_approved -> rejected          (an inspector rejects a spot check before it left for
                                    the cloud: episodes/spot_checks.py)
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


class IllegalEpisodeTransition(Conflict):
    code = "illegal_transition"


def transition(session: Session, episode: Episode, target: E, actor: str, cause: str = "") -> None:
    current = episode.status
    if target not in ALLOWED[current]:
        raise IllegalEpisodeTransition(
            f"episode '{episode.id}' is {current.value}; it cannot become {target.value}",
            {"episode_id": episode.id, "current_status": current.value, "requested": target.value},
        )
    now = utcnow()
    episode.status = target
    if target in APPROVED:
        episode.approved_at = now
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
