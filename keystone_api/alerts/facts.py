"""What the metrics and the alerts are computed from: one factory's numbers, read now.

Both `/metrics` and the alert rules (API, Dagster) start from `gather()`, so a scrape, an
API call and a Dagster check never disagree on what a number means. The production numbers
come from the statistics API's own queries (`period_metrics`, `live_state`) over the last
hour; only what statistics does not answer is asked here (per-robot upload queues, the
upload wait, sync retries), each an indexed lookup whose cost follows what is in flight,
never the size of the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import Robot
from keystone_api.orders.models import Order, OrderStatus, Task, TaskStatus
from keystone_api.stats.schemas import LiveState, PeriodMetrics
from keystone_api.stats.scope import Scope
from keystone_api.stats.summary import live_state, period_metrics
from keystone_api.sync.models import EpisodeSync
from keystone_api.sync.queue_claims import SENDABLE

# Rates and "last hour" counts are over this window (episodes by landing time, tasks by
# when they ended: the statistics API's definitions).
WINDOW = timedelta(hours=1)
# The "no uploads" alert's window: a failed task this recent still counts as work under way.
NO_UPLOAD_WINDOW = timedelta(minutes=30)
# How far back failed tasks are looked for (bounds the index range on a long-dead factory).
FAILED_LOOKBACK = timedelta(hours=24)
# The transfer daemon's counts of files still on the robot (waiting_ack ones have arrived).
DAEMON_QUEUE_FIELDS = ("pending_count", "uploading_count", "retry_wait_count")
IN_FLIGHT = (TaskStatus.in_progress, TaskStatus.uploading)


@dataclass(frozen=True)
class RobotQueue:
    """Recordings waiting on one robot, seen from both ends."""

    robot_id: str
    device_id: str
    # The transfer daemon's last report (pending + uploading + retry_wait); None: never sent.
    daemon_files: int | None
    # Tasks whose recording finished and has not landed (status uploading).
    uploading_tasks: int
    oldest_uploading_at: datetime | None

    @property
    def files(self) -> int:
        # The larger view: a daemon that stopped reporting still has the server's count,
        # and files the daemon queued before their task's finish callback still count.
        return max(self.daemon_files or 0, self.uploading_tasks)


@dataclass(frozen=True)
class FactoryFacts:
    factory_id: str
    factory_name: str
    at: datetime
    window: PeriodMetrics  # the last hour
    live: LiveState
    robot_queues: list[RobotQueue]
    orders_active: int
    qa_backlog: int  # episodes waiting for QA, whenever they landed
    last_upload_at: datetime | None  # the latest landing
    recordings_in_flight: int  # tasks recording or uploading
    # Set while work is under way: since when the factory has been owed an upload.
    waiting_since: datetime | None
    sync_retries: int  # failed attempts of the episodes still in the sync queue
    sync_oldest_approved_at: datetime | None

    @property
    def assessed(self) -> int:
        return self.window.episodes - self.window.pending_qa

    @property
    def qa_failed(self) -> int:
        return self.assessed - self.window.qa_passed

    @property
    def upload_wait_s(self) -> float:
        if self.waiting_since is None:
            return 0.0
        return max(0.0, (self.at - self.waiting_since).total_seconds())


def gather(session: Session, factory_id: str, factory_name: str, now: datetime) -> FactoryFacts:
    scope = Scope(factory_id, None, {})
    last_upload = session.execute(
        select(func.max(Episode.landed_at)).where(Episode.factory_id == factory_id)
    ).scalar()
    in_flight, waiting_since = _upload_wait(session, scope, last_upload, now)
    retries, oldest_sync = _sync_queue(session, factory_id)
    return FactoryFacts(
        factory_id=factory_id,
        factory_name=factory_name,
        at=now,
        window=period_metrics(session, scope, now - WINDOW, now),
        live=live_state(session, scope),
        robot_queues=robot_queues(session, factory_id),
        orders_active=_count(
            session,
            select(func.count(Order.id)).where(
                Order.factory_id == factory_id, Order.status == OrderStatus.active
            ),
        ),
        qa_backlog=_count(
            session,
            select(func.count(Episode.id)).where(
                Episode.status == EpisodeStatus.pending_qa, Episode.factory_id == factory_id
            ),
        ),
        last_upload_at=last_upload,
        recordings_in_flight=in_flight,
        waiting_since=waiting_since,
        sync_retries=retries,
        sync_oldest_approved_at=oldest_sync,
    )


def _count(session: Session, stmt: Any) -> int:
    return int(session.execute(stmt).scalar() or 0)


def robot_queues(session: Session, factory_id: str) -> list[RobotQueue]:
    # Only the three counts are read out of the JSON status, not its uploads list.
    daemon = [Robot.transfer_status[f].as_integer() for f in DAEMON_QUEUE_FIELDS]
    robots = session.execute(
        select(Robot.id, Robot.device_id, *daemon)
        .where(Robot.factory_id == factory_id, Robot.archived_at.is_(None))
        .order_by(Robot.device_id)
    ).all()
    uploading = {
        robot_id: (int(n), oldest)
        for robot_id, n, oldest in session.execute(
            select(Task.robot_id, func.count(Task.id), func.min(Task.updated_at))
            .join(Robot, Robot.id == Task.robot_id)
            .where(Task.status == TaskStatus.uploading, Robot.factory_id == factory_id)
            .group_by(Task.robot_id)
        )
    }
    queues = []
    for robot_id, device_id, *counts in robots:
        n, oldest = uploading.get(robot_id, (0, None))
        known = [max(int(c), 0) for c in counts if c is not None]
        reported = sum(known) if known else None
        queues.append(RobotQueue(robot_id, device_id, reported, n, oldest))
    return queues


def _upload_wait(
    session: Session, scope: Scope, last_upload: datetime | None, now: datetime
) -> tuple[int, datetime | None]:
    """(recordings in flight, since when an upload is owed) -- None when no work is under way.

    Work is under way while a recording is in progress or uploading, or a task failed within
    the alert's window; nights, breaks and idle shifts have neither, so they never page.
    The wait starts at the later of the last landing and the moment the earliest of those
    tasks entered its state (server clock: tasks.updated_at, which the state machine sets
    and the (status, updated_at) index serves; the robots' clocks are not trusted here).
    """
    in_flight, flight_since = session.execute(
        scope.tasks(
            select(func.count(Task.id), func.min(Task.updated_at)).where(Task.status.in_(IN_FLIGHT))
        )
    ).one()
    failed_from = max(last_upload, now - FAILED_LOOKBACK) if last_upload else now - FAILED_LOOKBACK
    first_failed, last_failed = session.execute(
        scope.tasks(
            select(func.min(Task.updated_at), func.max(Task.updated_at)).where(
                Task.status == TaskStatus.failed, Task.updated_at >= failed_from
            )
        )
    ).one()
    recent_failure = last_failed is not None and last_failed >= now - NO_UPLOAD_WINDOW
    if not in_flight and not recent_failure:
        return int(in_flight or 0), None
    owed = min(t for t in (flight_since, first_failed) if t is not None)
    return int(in_flight or 0), max(owed, last_upload) if last_upload else owed


def _sync_queue(session: Session, factory_id: str) -> tuple[int, datetime | None]:
    attempts, oldest = session.execute(
        select(func.coalesce(func.sum(EpisodeSync.attempts), 0), func.min(EpisodeSync.approved_at))
        .join(Episode, Episode.id == EpisodeSync.episode_id)
        .where(EpisodeSync.state.in_(SENDABLE), Episode.factory_id == factory_id)
    ).one()
    return int(attempts or 0), oldest
