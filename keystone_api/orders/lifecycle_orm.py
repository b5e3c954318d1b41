"""The lifecycle's writer for ORM callers (the recorder's socket, uploads, landing, people).

Applies a lifecycle decision to a loaded (locked) Task: its columns and transition row,
then its batch and workstation follow it. The Task's version and outbox row are the
mapper's (db/base.Versioned, sync/models._record_change), in the flush that writes it: the
same bump and row the group commit's writer (lifecycle_core) writes itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.fleet.models import Workstation
from keystone_api.orders import followers
from keystone_api.orders.events import task_events
from keystone_api.orders.lifecycle import Change, TaskSnapshot
from keystone_api.orders.lifecycle_core import station_busy
from keystone_api.orders.models import Batch, BatchStatus, Task, TaskStatus, TaskTransition


def snapshot(task: Task, owner_robot_id: str | None = None) -> TaskSnapshot:
    return TaskSnapshot(
        id=task.id,
        status=task.status,
        version=task.version,
        robot_id=task.robot_id,
        batch_id=task.batch_id,
        workstation_id=task.workstation_id,
        assigned_at=task.assigned_at,
        started_at=task.started_at,
        finished_at=task.finished_at,
        start_callback=task.start_callback,
        finish_callback=task.finish_callback,
        recorder_offline_at=task.recorder_offline_at,
        owner_robot_id=owner_robot_id,
    )


def run(
    session: Session, task: Task, rule: Callable[..., Change], *args: Any, **kwargs: Any
) -> Change:
    """Decide `rule` (a lifecycle decision) on the task as it stands now, and apply it."""
    return apply(session, task, rule(snapshot(task), *args, now=utcnow(), **kwargs))


def apply(session: Session, task: Task, change: Change) -> Change:
    """Write the change to `task` (the task it was decided on) and let the rest follow."""
    for column, value in change.values.items():
        setattr(task, column, value)
    if change.transition is not None:
        session.add(TaskTransition(**change.transition))
    if change.batch == "settle":
        batch = session.get(Batch, task.batch_id)
        if batch is not None:
            settle_batch(session, batch)
    elif change.batch == "activate":
        batch = session.get(Batch, task.batch_id)
        if batch is not None and batch.status == BatchStatus.pending:
            _activate(batch)
    if change.station:
        refresh_workstation(session, task.workstation_id, task)
    if change.upload:
        task_events.upload_requested(task)
    return change


def _activate(batch: Batch) -> None:
    batch.status = BatchStatus.active
    batch.activated_at = utcnow()


def settle_batch(session: Session, batch: Batch) -> None:
    """The batch's status from its tasks (followers.activates_batch, ended_batch)."""
    if batch.status not in followers.OPEN_BATCH:
        return
    counts: dict[TaskStatus, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Task.status, func.count()).where(Task.batch_id == batch.id).group_by(Task.status)
        ).all()
    )
    if batch.status == BatchStatus.pending and followers.activates_batch(counts):
        _activate(batch)
    ended = followers.ended_batch(counts)
    if ended is not None:
        batch.status = ended
        batch.completed_at = utcnow()


def refresh_workstation(session: Session, workstation_id: str, task: Task | None = None) -> None:
    """The station follows its tasks (followers.station_status); `task`, just changed and
    keeping it busy, saves counting the others."""
    ws = session.get(Workstation, workstation_id)
    if ws is None or ws.status not in followers.STATION_FOLLOWS:
        return
    busy = task is not None and followers.keeps_station_recording(task.status, task.assigned_at)
    if not busy:
        busy = bool(
            session.execute(
                select(func.count()).select_from(Task).where(*station_busy(workstation_id))
            ).scalar_one()
        )
    new = followers.station_status(ws.status, busy)
    if new is not None:
        ws.status = new
