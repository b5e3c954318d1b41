"""Operators' control of the queue: in manual mode (KEYSTONE_SYNC_MODE=manual, the original
Go system's default) approved episodes wait until someone queues them; in any mode an
operator re-queues episodes that failed (after fixing the cause: they are never retried by
themselves) and an admin can re-sync an episode (the cloud answers 409 and nothing is
duplicated)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from keystone_api.episodes import spot_checks
from keystone_api.episodes.models import Episode
from keystone_api.episodes.states import APPROVED
from keystone_api.errors import Conflict, Invalid, NotFound
from keystone_api.sync.models import EpisodeSync, SyncState
from keystone_api.sync.schemas import QueueSelection

PREVIEW_IDS = 1000
WAITING_FOR_PERSON = (SyncState.waiting, SyncState.failed)


def _eligible(selection: QueueSelection, factory_id: str | None) -> Select[Episode, EpisodeSync]:
    """Approved episodes with no sync row yet, or one waiting for an operator (manual mode,
    or failed)."""
    stmt = (
        select(Episode, EpisodeSync)
        .outerjoin(EpisodeSync, EpisodeSync.episode_id == Episode.id)
        .where(
            Episode.status.in_(APPROVED),
            (EpisodeSync.episode_id.is_(None)) | (EpisodeSync.state.in_(WAITING_FOR_PERSON)),
            Episode.id.not_in(spot_checks.held_ids()),  # an inspector's first
        )
        .order_by(Episode.approved_at, Episode.id)
    )
    if factory_id is not None:
        stmt = stmt.where(Episode.factory_id == factory_id)
    if selection.episode_ids is not None:
        stmt = stmt.where(Episode.id.in_(selection.episode_ids))
    for name in ("factory_id", "order_id", "batch_id", "status"):
        value = getattr(selection, name)
        if value is not None:
            stmt = stmt.where(getattr(Episode, name) == value)
    if selection.approved_after is not None:
        stmt = stmt.where(Episode.approved_at >= selection.approved_after)
    if selection.approved_before is not None:
        stmt = stmt.where(Episode.approved_at < selection.approved_before)
    if selection.sync_state is not None:
        stmt = stmt.where(EpisodeSync.state == selection.sync_state)
    return stmt


def _check(selection: QueueSelection) -> None:
    chosen = selection.model_dump(exclude_none=True, exclude={"all"})
    if not selection.all and not chosen:
        raise Invalid("choose episode_ids, at least one filter, or all=true")


def _skipped(
    session: Session, selection: QueueSelection, found: set[str], factory_id: str | None
) -> list[dict[str, str]]:
    named = [i for i in selection.episode_ids or [] if i not in found]
    if not named:
        return []
    rows = session.execute(
        select(Episode.id, Episode.status, Episode.factory_id, EpisodeSync.state)
        .outerjoin(EpisodeSync, EpisodeSync.episode_id == Episode.id)
        .where(Episode.id.in_(named))
    ).all()
    known = {r[0]: r for r in rows if factory_id is None or r[2] == factory_id}
    out = []
    for episode_id in named:
        row = known.get(episode_id)
        if row is None:
            reason = "no such episode"
        elif row[1] not in APPROVED:
            reason = f"episode is {row[1].value}, only approved episodes are synced"
        elif row[3] is None:
            reason = "held for a spot check until an inspector decides"
        else:
            reason = f"already {row[3].value}"
        out.append({"episode_id": episode_id, "reason": reason})
    return out


def preview(session: Session, selection: QueueSelection, factory_id: str | None) -> dict[str, Any]:
    _check(selection)
    rows = session.execute(_eligible(selection, factory_id)).all()
    ids = [episode.id for episode, _ in rows]
    return {
        "count": len(rows),
        "bytes_total": sum(e.mcap_size_bytes + e.sidecar_size_bytes for e, _ in rows),
        "episode_ids": ids[:PREVIEW_IDS],
        "skipped": _skipped(session, selection, set(ids), factory_id),
    }


def queue(session: Session, selection: QueueSelection, factory_id: str | None) -> dict[str, Any]:
    _check(selection)
    rows = session.execute(_eligible(selection, factory_id).with_for_update()).all()
    for episode, sync in rows:
        if sync is None:
            assert episode.approved_at is not None
            session.add(
                EpisodeSync(
                    episode_id=episode.id,
                    state=SyncState.queued,
                    approved_at=episode.approved_at,
                    bytes_total=episode.mcap_size_bytes + episode.sidecar_size_bytes,
                )
            )
        else:
            _requeue(sync)
    session.flush()
    ids = [episode.id for episode, _ in rows]
    return {
        "queued": len(rows),
        "count": len(rows),
        "bytes_total": sum(e.mcap_size_bytes + e.sidecar_size_bytes for e, _ in rows),
        "episode_ids": ids[:PREVIEW_IDS],
        "skipped": _skipped(session, selection, set(ids), factory_id),
    }


def _requeue(row: EpisodeSync) -> None:
    """Back in the queue, due now. A failed episode takes its place by approval time again
    (the episodes after it wait for it, as for any queued one); its attempt log keeps the
    error that stopped it."""
    row.state = SyncState.queued
    row.next_attempt_at = None
    row.last_error = None


def resync(session: Session, episode_id: str, factory_id: str | None) -> EpisodeSync:
    """Send an episode again (synced, waiting), or re-queue a failed one."""
    found = session.execute(
        select(EpisodeSync, Episode.factory_id)
        .join(Episode, Episode.id == EpisodeSync.episode_id)
        .where(EpisodeSync.episode_id == episode_id)
        .with_for_update()
    ).first()
    if found is None or (factory_id is not None and found[1] != factory_id):
        raise NotFound(f"no sync record for episode '{episode_id}'")
    row: EpisodeSync = found[0]
    if row.state in (SyncState.queued, SyncState.uploading):
        raise Conflict(
            f"episode '{episode_id}' is already {row.state.value}",
            {"episode_id": episode_id, "state": row.state.value},
        )
    if row.state in (SyncState.synced, SyncState.waiting):
        row.bytes_sent = 0
        row.multipart_upload_id = None
    _requeue(row)  # a failed one keeps its resumable upload
    session.flush()
    return row
