"""Recording a QA result: every check, the score, and the status it decides.

Called by the Dagster QA run (and by tests and tools) through this one function, so the
rule lives in one place: score >= the auto-approve threshold (0.90) auto-approves, anything
less routes the episode to an inspector.

Every assessment is kept (keystone_api/qa: qa_assessments, with the spec, validator and
score-formula versions it used); the episode's qa_* columns and qa_checks are the copy of
the latest one that decided it. A re-assessment (the episode carries a re-assess mark) may
move a decided episode to what the new score decides, except where
`states.reassessment_hold` says no (synced to the cloud; an inspector's decision without an
explicit override): then it is kept for the record and the episode stays as it was.
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
from keystone_api.qa.history import add_assessment, judging_version
from keystone_api.qa.models import QaReassessMark, QaReassessRequest
from keystone_api.settings import Settings
from keystone_api.sync.models import EpisodeSync
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
    # The spec it was judged by (keystone_pipelines.qa.spec_for.SpecUsed): the robot type's
    # own spec (its version is named in the history) and the effective spec's digest.
    robot_type_id: str | None = None
    robot_type_spec: dict[str, Any] | None = None
    spec_digest: str = ""


def _write_checks(session: Session, episode: Episode, outcome: QaOutcome) -> None:
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
    episode.qa_score = max(0.0, min(1.0, outcome.score))
    episode.qa_passed = all(c.passed for c in outcome.checks)
    episode.qa_result = outcome.summary
    episode.qa_assessed_at = now
    episode.validator_version = outcome.validator_version
    episode.formula_version = outcome.formula_version


def _apply(
    session: Session,
    settings: Settings,
    episode: Episode,
    target: EpisodeStatus,
    actor: str,
    cause: str,
    reassessment: bool,
) -> None:
    """Move the episode to what its score decided, with what that asks of sync and order."""
    if episode.status == target:
        return
    was_approved = episode.status in states.APPROVED
    states.transition(session, episode, target, actor, cause, reassessment=reassessment)
    if target == EpisodeStatus.auto_approved:
        enqueue_approved(session, episode, settings)
    elif was_approved:
        # Taken back before it left (reassessment_hold refused the synced and syncing ones).
        session.execute(delete(EpisodeSync).where(EpisodeSync.episode_id == episode.id))
    session.flush()
    order = session.get(Order, episode.order_id)
    if order is not None and (target == EpisodeStatus.auto_approved or was_approved):
        refresh_order(session, order, actor)


def record_qa_result(
    session: Session,
    settings: Settings,
    episode_id: str,
    outcome: QaOutcome,
    actor: str,
    claim_token: str | None = None,
    evidence: list[str] | None = None,
) -> Episode:
    """Record an assessment; `evidence`: the pictures made for it (kept with the episode only
    when this assessment decides it, not when a re-assessment is held)."""
    episode = session.execute(
        select(Episode).where(Episode.id == episode_id).with_for_update()
    ).scalar_one_or_none()
    if episode is None:
        raise NotFound(f"episode '{episode_id}' not found")
    if claim_token is not None and episode.qa_claim_token not in (None, claim_token):
        raise Conflict("another QA run holds this episode", {"episode_id": episode_id})
    mark = session.get(QaReassessMark, episode_id)
    if episode.status != EpisodeStatus.pending_qa and mark is None:
        raise states.IllegalEpisodeTransition(
            f"episode '{episode_id}' was already assessed ({episode.status.value})",
            {"episode_id": episode_id, "current_status": episode.status.value},
        )
    request = session.get(QaReassessRequest, mark.request_id) if mark is not None else None
    score = max(0.0, min(1.0, outcome.score))
    threshold = settings.qa_auto_approve_score
    target = EpisodeStatus.auto_approved if score >= threshold else EpisodeStatus.needs_inspection
    before = episode.status
    sync = session.get(EpisodeSync, episode.id)
    held = (
        states.reassessment_hold(
            before, sync.state.value if sync else None, request.override_inspector
        )
        if request is not None and before != EpisodeStatus.pending_qa
        else None
    )
    if held is None:
        _write_checks(session, episode, outcome)
        if evidence is not None:
            episode.evidence_keys = evidence
        if score >= threshold:
            cause = f"QA score {score:.3f} >= {threshold:.2f}"
        else:
            failing = ", ".join(c.name for c in outcome.checks if not c.passed) or "low score"
            cause = f"QA score {score:.3f} < {threshold:.2f} ({failing})"
        if request is not None:
            cause = f"re-assessment asked by {request.requested_by}: {request.reason}; {cause}"
        _apply(session, settings, episode, target, actor, cause, request is not None)
    episode.qa_claim_token = None
    episode.qa_claimed_until = None
    version = judging_version(
        session, episode, outcome.robot_type_id, outcome.robot_type_spec, actor
    )
    add_assessment(
        session,
        episode_id=episode.id,
        assessed_at=utcnow(),
        score=score,
        passed=all(c.passed for c in outcome.checks),
        decided_status=target.value,
        status_before=before.value,
        status_after=episode.status.value,
        held=held,
        checks=[
            {"name": c.name, "passed": c.passed, "score": c.score, "detail": c.detail[:500]}
            for c in outcome.checks
        ],
        findings=list(outcome.summary.get("findings") or [])[:20],
        spec_version_id=version.id if version else None,
        spec_version=version.version if version else None,
        spec_digest=outcome.spec_digest,
        validator_version=outcome.validator_version,
        formula_version=outcome.formula_version,
        actor=actor[:100],
        trigger="reassess" if request is not None else "landing",
        request_id=request.id if request is not None else None,
    )
    if mark is not None:
        session.delete(mark)
    return episode
