"""Counts of the sync queue, for the API, the metrics and the Dagster sync asset/check.

The Dagster asset is partitioned by approval hour: `partition_stats(session, start, end)`
gives one partition's synced / pending / failed; `sync_queue_depth(session)` feeds the
asset check that warns above QUEUE_WARN_THRESHOLD (the specification's alert: 100), and
`failed_count(session)` the episodes that wait for a person (never part of the queue, so
one bad episode never reads as a cloud outage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.sync.models import EpisodeSync, SyncState
from keystone_api.sync.queue_claims import PENDING, SENDABLE, queue_filter

QUEUE_WARN_THRESHOLD = 100


@dataclass(frozen=True)
class PartitionStats:
    start: datetime
    end: datetime
    total: int
    synced: int
    pending: int  # queued or uploading
    failed: int  # stopped on an error that needs a person
    waiting: int  # manual mode: approved, not queued by an operator yet
    bytes_total: int
    oldest_pending_approved_at: datetime | None

    def as_metadata(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "oldest_pending_approved_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def state_counts(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    stmt = select(EpisodeSync.state, func.count()).group_by(EpisodeSync.state)
    if start is not None:
        stmt = stmt.where(EpisodeSync.approved_at >= start)
    if end is not None:
        stmt = stmt.where(EpisodeSync.approved_at < end)
    return {SyncState(state).value: int(n) for state, n in session.execute(stmt)}


def sync_queue_depth(session: Session) -> int:
    """Episodes queued for the cloud and not there yet (queued, uploading). Failed ones
    are not in the queue: they wait for a person and are counted on their own."""
    return int(
        session.execute(
            select(func.count()).select_from(EpisodeSync).where(EpisodeSync.state.in_(SENDABLE))
        ).scalar_one()
    )


def failed_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(EpisodeSync)
            .where(EpisodeSync.state == SyncState.failed)
        ).scalar_one()
    )


def partition_stats(session: Session, start: datetime, end: datetime) -> PartitionStats:
    """One approval-time window [start, end), e.g. a Dagster hourly partition."""
    counts = state_counts(session, start, end)
    window = (EpisodeSync.approved_at >= start, EpisodeSync.approved_at < end)
    bytes_total, oldest = session.execute(
        select(
            func.coalesce(func.sum(EpisodeSync.bytes_total), 0),
            select(func.min(EpisodeSync.approved_at))
            .where(*window, EpisodeSync.state.in_((SyncState.queued, SyncState.uploading)))
            .scalar_subquery(),
        ).where(*window)
    ).one()
    return PartitionStats(
        start=start,
        end=end,
        total=sum(counts.values()),
        synced=counts.get("synced", 0),
        pending=counts.get("queued", 0) + counts.get("uploading", 0),
        failed=counts.get("failed", 0),
        waiting=counts.get("waiting", 0),
        bytes_total=int(bytes_total),
        oldest_pending_approved_at=oldest,
    )


def due_now(session: Session, now: datetime) -> tuple[int, datetime | None]:
    """How many episodes a sender could take right now, and the latest change among them
    (the sync sensor's run key: a changed queue allows the next run)."""
    due, latest = session.execute(
        select(func.count(), func.max(EpisodeSync.updated_at)).where(queue_filter(now))
    ).one()
    return int(due), latest


def approval_times(session: Session, episode_ids: Sequence[str]) -> list[datetime]:
    """When each of these episodes was approved (the hours a drain touched)."""
    if not episode_ids:
        return []
    stmt = select(EpisodeSync.approved_at).where(EpisodeSync.episode_id.in_(episode_ids))
    return list(session.execute(stmt).scalars())


def still_pending(session: Session, episode_ids: Sequence[str]) -> int:
    """How many of these episodes still hold their place in the queue."""
    if not episode_ids:
        return 0
    return int(
        session.execute(
            select(func.count())
            .select_from(EpisodeSync)
            .where(EpisodeSync.episode_id.in_(episode_ids), EpisodeSync.state.in_(PENDING))
        ).scalar_one()
    )
