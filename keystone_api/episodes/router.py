"""Episode registry, inspection, and presigned downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import (
    CurrentPrincipal,
    InspectorPrincipal,
    Principal,
    StaffPrincipal,
)
from keystone_api.common.crud import page
from keystone_api.common.schemas import Page
from keystone_api.db.base import utcnow
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.episodes import schemas as s
from keystone_api.episodes.inspection import decide
from keystone_api.episodes.models import (
    Episode,
    EpisodeStatus,
    EpisodeStatusChange,
    InspectionDecision,
    QaCheck,
)
from keystone_api.errors import NotFound
from keystone_api.orders.access import collector_workstation_ids
from keystone_api.sync.models import EpisodeSync, SyncState

router = APIRouter(prefix="/api/v1", tags=["episodes"])
PRESIGN_TTL_S = 3600


def visible_episodes(session: Any, principal: Principal) -> Any:
    stmt = select(Episode)
    if principal.factory_id is not None:
        stmt = stmt.where(Episode.factory_id == principal.factory_id)
    if principal.role == Role.collector:
        stmt = stmt.where(Episode.workstation_id.in_(collector_workstation_ids(session, principal)))
    return stmt


def load_episode(session: Any, principal: Principal, episode_id: str) -> Episode:
    episode = session.execute(
        visible_episodes(session, principal).where(Episode.id == episode_id)
    ).scalar_one_or_none()
    if episode is None:
        raise NotFound(f"episode '{episode_id}' not found")
    return episode


@router.get("/episodes", response_model=Page[s.EpisodeOut], summary="List and filter episodes")
def list_episodes(
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: Annotated[s.EpisodeFilters, Query()],
) -> Any:
    limit, offset = filters.limit, filters.offset
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    stmt = visible_episodes(session, principal).order_by(Episode.landed_at.desc(), Episode.id)
    f = filters.filters()
    if "landed_after" in f:
        stmt = stmt.where(Episode.landed_at >= f.pop("landed_after"))
    if "landed_before" in f:
        stmt = stmt.where(Episode.landed_at < f.pop("landed_before"))
    if "synced" in f:
        synced = select(EpisodeSync.episode_id).where(EpisodeSync.state == SyncState.synced)
        stmt = stmt.where(Episode.id.in_(synced) if f.pop("synced") else Episode.id.not_in(synced))
    for key, value in f.items():
        stmt = stmt.where(getattr(Episode, key) == value)
    items, total = page(session, stmt, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/episodes/{episode_id}",
    response_model=s.EpisodeDetail,
    summary="An episode with its sidecar facts, QA checks, decisions, history, sync",
)
def get_episode(episode_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    ep = load_episode(session, principal, episode_id)

    def rows(model: Any, order: Any) -> list[Any]:
        return list(
            session.execute(
                select(model).where(model.episode_id == ep.id).order_by(order)
            ).scalars()
        )

    return s.EpisodeDetail.model_validate(
        {
            **{
                k: getattr(ep, k)
                for k in s.EpisodeDetail.model_fields
                if k not in ("checks", "decisions", "history", "sync")
            },
            "checks": rows(QaCheck, QaCheck.name),
            "decisions": rows(InspectionDecision, InspectionDecision.decided_at),
            "history": rows(EpisodeStatusChange, EpisodeStatusChange.at),
            "sync": session.get(EpisodeSync, ep.id),
        }
    )


@router.get(
    "/inspection/queue",
    response_model=Page[s.QueueItem],
    summary="Episodes awaiting an inspector, oldest first, with their failing checks",
)
def inspection_queue(
    session: SessionDep,
    principal: InspectorPrincipal,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),  # as ListQuery: SQL needs a bound
) -> Any:
    stmt = (
        visible_episodes(session, principal)
        .where(Episode.status == EpisodeStatus.needs_inspection)
        .order_by(Episode.qa_assessed_at, Episode.landed_at, Episode.id)
    )
    items, total = page(session, stmt, limit, offset)
    now = utcnow()
    failing: dict[str, list[Any]] = {e.id: [] for e in items}
    if items:
        for check in session.execute(
            select(QaCheck).where(QaCheck.episode_id.in_(list(failing)), QaCheck.passed.is_(False))
        ).scalars():
            failing[check.episode_id].append(check)
    queue = [
        {
            "episode": e,
            "failing_checks": failing[e.id],
            "waiting_s": (now - (e.qa_assessed_at or e.landed_at)).total_seconds(),
        }
        for e in items
    ]
    return {"items": queue, "total": total, "limit": limit, "offset": offset}


@router.post(
    "/episodes/{episode_id}/inspection",
    response_model=s.EpisodeOut,
    summary="An inspector approves or rejects an episode in needs_inspection",
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
        inspector_user_id=principal.subject if principal.kind == "user" else None,
        reason=body.reason,
        notes=body.notes,
        source="api",
        factory_id=principal.factory_id,
    )


@router.get(
    "/episodes/{episode_id}/downloads",
    response_model=s.DownloadsOut,
    summary="Presigned download links: MCAP, sidecar, evidence pictures",
)
def downloads(episode_id: str, session: SessionDep, principal: InspectorPrincipal) -> Any:
    from keystone_api.storage.s3 import get_s3_client

    ep = load_episode(session, principal, episode_id)
    client = get_s3_client()
    objects = [("mcap", ep.mcap_key)]
    if ep.sidecar_key:
        objects.append(("sidecar", ep.sidecar_key))
    objects += [(f"evidence:{k.rsplit('/', 1)[-1]}", k) for k in ep.evidence_keys or []]
    links = [
        s.DownloadLink(
            name=name,
            key=key,
            url=client.generate_presigned_url(
                "get_object", Params={"Bucket": ep.bucket, "Key": key}, ExpiresIn=PRESIGN_TTL_S
            ),
        )
        for name, key in objects
    ]
    return s.DownloadsOut(episode_id=ep.id, expires_in=PRESIGN_TTL_S, links=links)


@router.post(
    "/episodes/landed",
    response_model=s.EpisodeOut,
    status_code=201,
    summary="Register a recording already in the bucket (verified first; idempotent)",
)
def register_landed(
    body: s.LandedIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: StaffPrincipal,
) -> Any:
    from keystone_api.episodes.landing import land
    from keystone_api.orders.access import load_task
    from keystone_api.orders.models import Order
    from keystone_api.storage.layout import parse_key
    from keystone_api.storage.s3 import get_s3_client

    task = load_task(session, principal, body.task_id)
    key = parse_key(body.mcap_key)
    if key is None or key.kind != "mcap" or key.task_id != task.id:
        raise NotFound("mcap_key: not a recording key of this task in either layout")
    order = session.get(Order, task.order_id)
    assert order is not None
    landing = land(
        session,
        get_s3_client(),
        settings.bucket_for(order.factory_id),
        key,
        task,
        actor=principal.actor,
        source="api",
        expected_sha256=body.expected_sha256,
    )
    return landing.episode
