"""The edge's sync API: queue status, per-episode progress and attempts, manual queueing
(one episode, a filtered set, or all eligible, with a preview; failed episodes too, once
fixed), admin re-sync, and the record replicas the cloud refused."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from keystone_api.accounts.principal import (
    AdminPrincipal,
    InspectorPrincipal,
    Principal,
    StaffPrincipal,
)
from keystone_api.common.crud import page
from keystone_api.common.schemas import Page
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.episodes.models import Episode
from keystone_api.errors import NotFound
from keystone_api.sync import manual, replicas
from keystone_api.sync import schemas as s
from keystone_api.sync.models import EpisodeSync, SyncAttempt, SyncState
from keystone_api.sync.queue_claims import PENDING
from keystone_api.sync.replicas import outbox_depth
from keystone_api.sync.stats import QUEUE_WARN_THRESHOLD, state_counts, sync_queue_depth

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])
ATTEMPT_LOG = 200


def _rows(principal: Principal) -> Any:
    stmt = select(EpisodeSync)
    if principal.factory_id is not None:
        stmt = stmt.join(Episode, Episode.id == EpisodeSync.episode_id).where(
            Episode.factory_id == principal.factory_id
        )
    return stmt


@router.get("/status", response_model=s.SyncStatus, summary="The sync queue at a glance")
def sync_status(session: SessionDep, settings: SettingsDep, _: InspectorPrincipal) -> Any:
    depth = sync_queue_depth(session)
    oldest = session.execute(
        select(func.min(EpisodeSync.approved_at)).where(EpisodeSync.state.in_(PENDING))
    ).scalar_one()
    last = session.execute(select(func.max(EpisodeSync.synced_at))).scalar_one()
    counts = state_counts(session)
    return s.SyncStatus(
        mode=settings.sync_mode,
        queue_depth=depth,
        warn_threshold=QUEUE_WARN_THRESHOLD,
        over_threshold=depth > QUEUE_WARN_THRESHOLD,
        failed=counts.get(SyncState.failed.value, 0),
        counts=counts,
        oldest_pending_approved_at=oldest,
        last_synced_at=last,
        replica_outbox=outbox_depth(session),
        replica_refused=replicas.refused_count(session),
    )


@router.get(
    "/episodes",
    response_model=Page[s.SyncRowOut],
    summary="Episodes' sync state, oldest approval first",
)
def list_sync_states(
    session: SessionDep,
    principal: InspectorPrincipal,
    state: SyncState | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> Any:
    stmt = _rows(principal).order_by(EpisodeSync.approved_at, EpisodeSync.episode_id)
    if state is not None:
        stmt = stmt.where(EpisodeSync.state == state)
    items, total = page(session, stmt, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/episodes/{episode_id}",
    response_model=s.SyncDetail,
    summary="One episode's sync progress (bytes sent) and its attempt log",
)
def get_sync_state(episode_id: str, session: SessionDep, principal: InspectorPrincipal) -> Any:
    row = session.execute(
        _rows(principal).where(EpisodeSync.episode_id == episode_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no sync record for episode '{episode_id}'")
    attempts = session.execute(
        select(SyncAttempt)
        .where(SyncAttempt.episode_id == episode_id)
        .order_by(SyncAttempt.at.desc(), SyncAttempt.id.desc())
        .limit(ATTEMPT_LOG)
    ).scalars()
    if row.state == SyncState.synced:
        progress = 1.0
    else:
        progress = row.bytes_sent / row.bytes_total if row.bytes_total else 0.0
    return s.SyncDetail.model_validate(
        {
            **{k: getattr(row, k) for k in s.SyncRowOut.model_fields},
            "progress": progress,
            "resumable_upload": row.multipart_upload_id is not None,
            "claimed_by": row.claimed_by,
            "claimed_until": row.claimed_until,
            "cloud_mcap_sha256": row.cloud_mcap_sha256,
            "cloud_sidecar_sha256": row.cloud_sidecar_sha256,
            "attempt_log": list(attempts),
        }
    )


@router.post(
    "/queue/preview",
    response_model=s.QueuePreview,
    summary="What a queue request would queue (nothing changes)",
)
def preview_sync_queue(
    body: s.QueueSelection, session: SessionDep, principal: StaffPrincipal
) -> Any:
    return manual.preview(session, body, principal.factory_id)


@router.post(
    "/queue",
    response_model=s.QueueResult,
    summary="Queue approved episodes for the cloud: named ones, a filtered set, or all",
)
def queue_for_sync(body: s.QueueSelection, session: SessionDep, principal: StaffPrincipal) -> Any:
    return manual.queue(session, body, principal.factory_id)


@router.post(
    "/episodes/{episode_id}/resync",
    response_model=s.SyncRowOut,
    summary="Send an episode to the cloud again (admin; the cloud answers 409, no duplicate)",
)
def resync_episode(episode_id: str, session: SessionDep, principal: AdminPrincipal) -> Any:
    return manual.resync(session, episode_id, principal.factory_id)


@router.get(
    "/replicas/refused",
    response_model=list[s.RefusedReplica],
    summary="Record changes the cloud refused, with its reason (not pushed again by themselves)",
)
def list_refused_replicas(
    session: SessionDep, principal: InspectorPrincipal, limit: int = Query(200, ge=1, le=1000)
) -> Any:
    return replicas.refused(session, limit, principal.factory_id)


@router.post(
    "/replicas/requeue",
    response_model=s.RequeueResult,
    summary="Push refused records again (their current state), once the cause is fixed",
)
def requeue_refused_replicas(
    body: s.RequeueReplicas, session: SessionDep, principal: AdminPrincipal
) -> Any:
    count = replicas.requeue_refused(session, body.kind, body.record_ids, principal.factory_id)
    return s.RequeueResult(requeued=count)
