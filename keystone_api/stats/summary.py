"""Summary: a period's production against the previous period of the same length, and
the live state (queues, fleet) that no period applies to."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import Robot, Workstation
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.stats import aggregates as agg
from keystone_api.stats import rates
from keystone_api.stats.schemas import Change, LiveState, Period, PeriodMetrics, SummaryOut
from keystone_api.stats.scope import Scope, robot_online
from keystone_api.stats.sqlfuncs import seconds_between
from keystone_api.sync.models import EpisodeSync, SyncState

UNSENT = (SyncState.waiting, SyncState.queued, SyncState.uploading, SyncState.failed)


def ended_tasks(session: Session, scope: Scope, start: datetime, end: datetime) -> dict[str, Any]:
    """The tasks that ended in [start, end): completed (recording landed) and failed."""
    row = session.execute(
        scope.tasks(
            select(*agg.task_columns()).where(
                Task.status.in_(agg.ENDED), Task.updated_at >= start, Task.updated_at < end
            )
        )
    ).one()
    return agg.task_counts(row)


def period_metrics(session: Session, scope: Scope, start: datetime, end: datetime) -> PeriodMetrics:
    episodes = session.execute(agg.episode_select().where(*scope.episodes((start, end)))).one()
    return PeriodMetrics(
        **agg.counts(episodes),
        **ended_tasks(session, scope, start, end),
        **sync_latency(session, scope, start, end),
    )


def tasks_per_hour(session: Session, scope: Scope, now: datetime) -> float:
    """rates.DEFINITIONS["tasks_per_hour"]: tasks completed in the last 60 minutes."""
    start, end = rates.last_60_min(now)
    hours = (end - start).total_seconds() / 3600
    value = rates.value("tasks_per_hour", ended_tasks(session, scope, start, end), hours)
    return value or 0.0


def sync_latency(session: Session, scope: Scope, start: datetime, end: datetime) -> dict[str, Any]:
    """Approval to cloud confirmation of the period's episodes that reached the cloud."""
    seconds = seconds_between(EpisodeSync.approved_at, EpisodeSync.synced_at)
    synced = (
        select(seconds.label("s"))
        .select_from(Episode)
        .join(EpisodeSync, EpisodeSync.episode_id == Episode.id)
        .where(
            *scope.episodes((start, end)),
            EpisodeSync.state == SyncState.synced,
            EpisodeSync.synced_at.is_not(None),
        )
    )
    sub = synced.subquery()
    n, avg, top = session.execute(
        select(func.count(), func.avg(sub.c.s), func.max(sub.c.s)).select_from(sub)
    ).one()
    if not n:
        return {}
    # p95 by rank (the original's method): the ceil(0.95 n)-th smallest value.
    rank = max(math.ceil(n * 0.95) - 1, 0)
    p95 = session.execute(synced.order_by(seconds).limit(1).offset(rank)).scalar()
    return {
        "sync_latency_avg_s": round(float(avg), 3),
        "sync_latency_p95_s": round(float(p95), 3) if p95 is not None else None,
        "sync_latency_max_s": round(float(top), 3),
    }


def live_state(session: Session, scope: Scope, now: datetime | None = None) -> LiveState:
    now = now or utcnow()
    in_scope = scope.episodes()
    depth, oldest = session.execute(
        select(
            func.count(Episode.id),
            func.min(func.coalesce(Episode.qa_assessed_at, Episode.landed_at)),
        ).where(Episode.status == EpisodeStatus.needs_inspection, *in_scope)
    ).one()
    sync: dict[str, int] = {
        SyncState(state).value: int(n)
        for state, n in session.execute(
            select(EpisodeSync.state, func.count())
            .join(Episode, Episode.id == EpisodeSync.episode_id)
            .where(EpisodeSync.state.in_(UNSENT), *in_scope)
            .group_by(EpisodeSync.state)
        )
    }
    uploading = session.execute(
        scope.tasks(select(func.count(Task.id)).where(Task.status == TaskStatus.uploading))
    ).scalar_one()
    online = robot_online(now)
    total, up, available = session.execute(
        select(
            func.count(Robot.id),
            agg.count_if(online, "online"),
            agg.count_if(online & Robot.maintenance.is_(False), "available"),
        ).where(*scope.robots())
    ).one()
    stations = session.execute(
        select(Workstation.status, func.count())
        .where(*scope.workstations())
        .group_by(Workstation.status)
    ).all()
    return LiveState(
        at=now,
        inspection_queue_depth=int(depth),
        oldest_inspection_wait_s=round((now - oldest).total_seconds(), 1) if oldest else None,
        # Failed episodes wait for a person, not for the cloud: counted apart, never as
        # queue depth (whose alert says "check cloud connectivity").
        sync_queue_depth=sync.get("queued", 0) + sync.get("uploading", 0),
        sync_waiting=sync.get("waiting", 0),
        sync_failed=sync.get("failed", 0),
        upload_queue_depth=int(uploading),
        tasks_per_hour=tasks_per_hour(session, scope, now),
        robots_total=int(total),
        robots_online=int(up or 0),
        robots_available=int(available or 0),
        workstations={getattr(s, "value", str(s)): int(n) for s, n in stations},
    )


def _relative(current: float, previous: float) -> float | None:
    return round((current - previous) / previous, 4) if previous else None


def _difference(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return round(current - previous, 4)


def change(current: PeriodMetrics, previous: PeriodMetrics) -> Change:
    return Change(
        **{
            k: _relative(getattr(current, k), getattr(previous, k))
            for k in ("episodes", "hours_recorded", "bytes")
        },
        **{
            k: _difference(getattr(current, k), getattr(previous, k))
            for k in ("qa_pass_rate", "auto_approval_rate", "sync_rate", "upload_success_rate")
        },
    )


def summary(session: Session, scope: Scope, start: datetime, end: datetime) -> SummaryOut:
    before = start - (end - start)
    current = period_metrics(session, scope, start, end)
    previous = period_metrics(session, scope, before, start)
    return SummaryOut(
        period=Period(start=start, end=end),
        previous_period=Period(start=before, end=start),
        current=current,
        previous=previous,
        change=change(current, previous),
        live=live_state(session, scope),
    )
