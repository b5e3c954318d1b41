"""Recording a QA result: every check, the score, and the status it decides.

Called by the Dagster QA run (and by tests and tools) through this one function, so the
rule lives in one place: score >= the auto-approve threshold (0.90) auto-approves, anything
less routes the episode to an inspector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes import states
from keystone_api.episodes.models import Episode, EpisodeStatus, QaCheck
from keystone_api.errors import Conflict, NotFound
from keystone_api.orders.models import Order
from keystone_api.orders.progress import refresh_order
from keystone_api.settings import Settings
from keystone_api.sync.queue import enqueue_approved


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    score: float
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QaOutcome:
    score: float
    checks: list[CheckResult]
    validator_version: str
    formula_version: str
    summary: dict[str, Any] = field(default_factory=dict)  # tiers, bytes read, axon metadata


def record_qa_result(
    session: Session,
    settings: Settings,
    episode_id: str,
    outcome: QaOutcome,
    actor: str,
    claim_token: str | None = None,
) -> Episode:
    episode = session.execute(
        select(Episode).where(Episode.id == episode_id).with_for_update()
    ).scalar_one_or_none()
    if episode is None:
        raise NotFound(f"episode '{episode_id}' not found")
    if claim_token is not None and episode.qa_claim_token not in (None, claim_token):
        raise Conflict("another QA run holds this episode", {"episode_id": episode_id})
    if episode.status != EpisodeStatus.pending_qa:
        raise states.IllegalEpisodeTransition(
            f"episode '{episode_id}' was already assessed ({episode.status.value})",
            {"episode_id": episode_id, "current_status": episode.status.value},
        )
    now = utcnow()
    session.execute(delete(QaCheck).where(QaCheck.episode_id == episode.id))
    for check in outcome.checks:
        session.add(
            QaCheck(
                episode_id=episode.id,
                name=check.name,
                passed=check.passed,
                score=max(0.0, min(1.0, check.score)),
                detail=check.detail[:20_000],
                data=check.data,
                validator_version=outcome.validator_version,
                created_at=now,
            )
        )
    score = max(0.0, min(1.0, outcome.score))
    episode.qa_score = score
    episode.qa_passed = all(c.passed for c in outcome.checks)
    episode.qa_result = outcome.summary
    episode.qa_assessed_at = now
    episode.validator_version = outcome.validator_version
    episode.formula_version = outcome.formula_version
    episode.qa_claim_token = None
    episode.qa_claimed_until = None
    if score >= settings.qa_auto_approve_score:
        states.transition(
            session,
            episode,
            EpisodeStatus.auto_approved,
            actor,
            f"QA score {score:.3f} >= {settings.qa_auto_approve_score:.2f}",
        )
        enqueue_approved(session, episode, settings)
        session.flush()
        order = session.get(Order, episode.order_id)
        if order is not None:
            refresh_order(session, order, actor)
    else:
        failing = ", ".join(c.name for c in outcome.checks if not c.passed) or "low score"
        states.transition(
            session,
            episode,
            EpisodeStatus.needs_inspection,
            actor,
            f"QA score {score:.3f} < {settings.qa_auto_approve_score:.2f} ({failing})",
        )
    return episode
