"""Inspection: the queue (flagged episodes and spot checks, filtered), one decision with
its annotated time ranges, bulk decisions on a previewed set, and spot-check agreement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from sqlalchemy import select

from keystone_api.accounts.principal import InspectorPrincipal, Principal
from keystone_api.common.crud import page
from keystone_api.common.schemas import Page
from keystone_api.db.base import utcnow
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.episodes import bulk, spot_checks
from keystone_api.episodes import review_schemas as r
from keystone_api.episodes import schemas as s
from keystone_api.episodes.annotations import Annotation
from keystone_api.episodes.inspection import decide
from keystone_api.episodes.models import QaCheck
from keystone_api.episodes.review_models import SpotCheck
from keystone_api.episodes.router import load_episode

router = APIRouter(prefix="/api/v1", tags=["inspection"])


def _user_id(principal: Principal) -> str | None:
    return principal.subject if principal.kind == "user" else None


@router.get(
    "/inspection/queue",
    response_model=Page[s.QueueItem],
    summary="Episodes awaiting an inspector (flagged, or spot checks), oldest first, filtered",
)
def inspection_queue(
    session: SessionDep,
    principal: InspectorPrincipal,
    query: Annotated[r.InspectionQueueQuery, Query()],
) -> Any:
    filters = r.InspectionFilters.model_validate(query.model_dump(exclude={"limit", "offset"}))
    items, total = page(
        session, bulk.awaiting(principal.factory_id, filters), query.limit, query.offset
    )
    ids = [e.id for e in items]
    failing: dict[str, list[Any]] = {i: [] for i in ids}
    spot: set[str] = set()
    if ids:
        for check in session.execute(
            select(QaCheck).where(QaCheck.episode_id.in_(ids), QaCheck.passed.is_(False))
        ).scalars():
            failing[check.episode_id].append(check)
        spot = set(
            session.execute(
                select(SpotCheck.episode_id).where(
                    SpotCheck.episode_id.in_(ids), SpotCheck.decided_at.is_(None)
                )
            ).scalars()
        )
    now = utcnow()
    queue = [
        {
            "episode": e,
            "failing_checks": failing[e.id],
            "waiting_s": (now - (e.qa_assessed_at or e.landed_at)).total_seconds(),
            "spot_check": e.id in spot,
        }
        for e in items
    ]
    return {"items": queue, "total": total, "limit": query.limit, "offset": query.offset}


@router.post(
    "/episodes/{episode_id}/inspection",
    response_model=s.EpisodeOut,
    summary="An inspector approves or rejects an episode awaiting inspection (flagged or a "
    "spot check), optionally naming time ranges and topics of the recording",
)
def inspect(
    episode_id: str,
    body: s.InspectionIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: InspectorPrincipal,
) -> Any:
    load_episode(session, principal, episode_id)
    return decide(
        session,
        settings,
        episode_id,
        body.decision,
        inspector_name=principal.name,
        inspector_user_id=_user_id(principal),
        reason=body.reason,
        notes=body.notes,
        source="api",
        factory_id=principal.factory_id,
        annotations=[Annotation(**a.model_dump()) for a in body.annotations],
    )


@router.post(
    "/inspection/bulk/preview",
    response_model=r.BulkPreviewOut,
    summary="The episodes a bulk decision with these filters would decide (count, ids, token)",
)
def bulk_preview(body: r.BulkPreviewIn, session: SessionDep, principal: InspectorPrincipal) -> Any:
    return bulk.preview(session, principal.factory_id, body.filters)


@router.post(
    "/inspection/bulk",
    response_model=r.BulkDecisionOut,
    summary="Decide exactly the previewed set with one reason (409 with a new preview if the "
    "set changed); all or nothing",
)
def bulk_decide(
    body: r.BulkDecisionIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: InspectorPrincipal,
) -> Any:
    return bulk.apply(
        session,
        settings,
        principal.factory_id,
        body,
        inspector_name=principal.name,
        inspector_user_id=_user_id(principal),
    )


@router.get(
    "/inspection/spot-checks",
    response_model=list[r.SpotCheckAgreement],
    summary="Spot checks per robot type: share, waiting, decided, agreement rate",
)
def spot_check_agreement(
    session: SessionDep,
    principal: InspectorPrincipal,
    decided_after: AwareDatetime | None = None,
    decided_before: AwareDatetime | None = None,
) -> Any:
    return spot_checks.agreement(session, principal.factory_id, decided_after, decided_before)
