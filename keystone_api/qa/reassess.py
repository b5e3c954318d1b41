"""Re-assessment: which episodes a filter takes, what it leaves alone and why (the preview),
and marking them for the QA run.

How the work is done: each taken episode gets a mark (qa_reassess_marks) naming the request;
the QA run claims marked episodes exactly as it claims pending ones (episode_claims), so the
landing sensor asks for the hour's run and the Dagster run that re-assesses an hour uses the
same path. The episode keeps its status, checks and sync until the new assessment is
recorded (episodes/qa.record_qa_result), which applies the rules of states.reassessment_hold.
The preview and the request run the same plan, so what is previewed is what is marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes import states
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.episodes.schemas import EpisodeFilters
from keystone_api.episodes.search import filtered
from keystone_api.qa.models import QaAssessment, QaReassessMark, QaReassessRequest
from keystone_api.qa.schemas import ReassessFilter, ReassessOut, Untouched
from keystone_api.registry.models import Subscene
from keystone_api.sync.models import EpisodeSync

SAMPLE = 50
# A request marks at most this many episodes; a wider one is refused (narrow the filter).
MAX_EPISODES = 50_000
WHY = {
    "inspector_decided": "an inspector decided it; re-assessing needs override_inspector "
    "with a reason",
    "in_a_qa_run": "a QA run holds it right now; ask again when the run ends",
    "already_marked": "already waiting for a re-assessment",
}


@dataclass
class Plan:
    take: list[str] = field(default_factory=list)
    record_only: list[str] = field(default_factory=list)
    untouched: dict[str, list[str]] = field(default_factory=dict)


def judged_by_version() -> Any:
    """The spec version of the latest assessment that decided the episode (SQL)."""
    return (
        select(QaAssessment.spec_version)
        .where(QaAssessment.episode_id == Episode.id, QaAssessment.held.is_(None))
        .order_by(QaAssessment.assessed_at.desc(), QaAssessment.id.desc())
        .limit(1)
        .correlate(Episode)
        .scalar_subquery()
    )


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _where(stmt: Any, f: ReassessFilter, factory_id: str | None) -> Any:
    """The episode search's own filter (status, failed check, score range, hours), then what
    only a re-assessment asks: ids, a robot type, judged by an older spec version."""
    search = EpisodeFilters(
        status=f.status or [],
        failed_check=f.failed_check,
        score_min=f.score_min,
        score_max=f.score_max,
        landed_after=_aware(f.landed_after),
        landed_before=_aware(f.landed_before),
    )
    stmt = filtered(stmt, search).order_by(None)
    stmt = stmt.where(Episode.status != EpisodeStatus.pending_qa)
    if factory_id is not None:
        stmt = stmt.where(Episode.factory_id == factory_id)
    if f.episode_ids:
        stmt = stmt.where(Episode.id.in_(f.episode_ids))
    if f.robot_type_id:
        subscenes = select(Subscene.id).where(Subscene.robot_type_id == f.robot_type_id)
        stmt = stmt.where(Episode.subscene_id.in_(subscenes))
    if f.spec_version_below is not None:
        version = judged_by_version()
        stmt = stmt.where(or_(version.is_(None), version < f.spec_version_below))
    return stmt


def plan(
    session: Session, f: ReassessFilter, factory_id: str | None, override_inspector: bool
) -> Plan:
    now = utcnow()
    stmt = _where(
        select(
            Episode.id,
            Episode.status,
            Episode.qa_claim_token,
            Episode.qa_claimed_until,
            EpisodeSync.state,
            QaReassessMark.episode_id,
        )
        .outerjoin(EpisodeSync, EpisodeSync.episode_id == Episode.id)
        .outerjoin(QaReassessMark, QaReassessMark.episode_id == Episode.id),
        f,
        factory_id,
    ).order_by(Episode.landed_at, Episode.id)
    result = Plan()
    for episode_id, status, token, until, sync_state, marked in session.execute(
        stmt.limit(MAX_EPISODES + 1)
    ):
        hold = states.reassessment_hold(
            status, sync_state.value if sync_state else None, override_inspector
        )
        if marked is not None:
            result.untouched.setdefault("already_marked", []).append(episode_id)
        elif token is not None and until is not None and until >= now:
            result.untouched.setdefault("in_a_qa_run", []).append(episode_id)
        elif hold == "inspector_decided":
            result.untouched.setdefault("inspector_decided", []).append(episode_id)
        else:
            result.take.append(episode_id)
            if hold == "synced":
                result.record_only.append(episode_id)
    return result


def answer(p: Plan, preview: bool, request_id: str | None = None) -> ReassessOut:
    return ReassessOut(
        preview=preview,
        request_id=request_id,
        count=len(p.take),
        sample=p.take[:SAMPLE],
        record_only=len(p.record_only),
        untouched=[
            Untouched(reason=reason, why=WHY[reason], count=len(ids), sample=ids[:SAMPLE])  # type: ignore[arg-type]
            for reason, ids in sorted(p.untouched.items())
        ],
    )


def mark(
    session: Session,
    p: Plan,
    *,
    requested_by: str,
    reason: str,
    override_inspector: bool,
    source: str,
    filters: dict[str, Any],
) -> QaReassessRequest:
    from keystone_api.errors import Invalid

    if len(p.take) > MAX_EPISODES:
        raise Invalid(f"the filter takes more than {MAX_EPISODES} episodes; narrow it")
    now = utcnow()
    request = QaReassessRequest(
        requested_by=requested_by[:100],
        reason=reason,
        override_inspector=override_inspector,
        source=source,
        filters=filters,
        marked=len(p.take),
        created_at=now,
    )
    session.add(request)
    session.flush()
    if p.take:
        session.execute(
            insert(QaReassessMark),
            [{"episode_id": i, "request_id": request.id, "marked_at": now} for i in p.take],
        )
    return request


def reassess_hour(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    requested_by: str,
    reason: str,
    override_inspector: bool = False,
) -> tuple[QaReassessRequest, Plan]:
    """What a Dagster run with the re-assess setting asks for its hour: every assessed
    episode landed in [start, end), under the same rules as the API's requests."""
    f = ReassessFilter(landed_after=start, landed_before=end)
    p = plan(session, f, None, override_inspector)
    request = mark(
        session,
        p,
        requested_by=requested_by,
        reason=reason,
        override_inspector=override_inspector,
        source="dagster",
        filters=f.model_dump(mode="json", exclude_none=True),
    )
    return request, p
