"""Statuses that advance by themselves: batches and orders follow their tasks and episodes.

- a batch becomes active with its first finished task and completed with its last;
- an order completes when its approved (unrecalled) episodes reach the target, closing its
  open batches; when rejections or recalls leave it short it gets replacement tasks.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode
from keystone_api.episodes.states import APPROVED
from keystone_api.orders import task_states
from keystone_api.orders.models import Batch, BatchStatus, Order, OrderStatus, Task, TaskStatus
from keystone_api.orders.scheduling import top_up

FINISHED = task_states.FINISHED
TERMINAL = task_states.TERMINAL
OPEN_BATCH = (BatchStatus.pending, BatchStatus.active)
RECORDING = task_states.BEFORE_FINISH


def refresh_batch(session: Session, batch: Batch) -> None:
    if batch.status not in OPEN_BATCH:
        return
    counts = dict(
        session.execute(
            select(Task.status, func.count()).where(Task.batch_id == batch.id).group_by(Task.status)
        ).all()
    )
    total = sum(counts.values())
    finished = sum(counts.get(s, 0) for s in FINISHED)
    if batch.status == BatchStatus.pending and finished:
        batch.status = BatchStatus.active
        batch.activated_at = utcnow()
    terminal = sum(counts.get(s, 0) for s in TERMINAL)
    if total and terminal == total:
        batch.status = (
            BatchStatus.completed if counts.get(TaskStatus.completed) else BatchStatus.cancelled
        )
        batch.completed_at = utcnow()


def approved_count(session: Session, order_id: str) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Episode)
            .where(
                Episode.order_id == order_id,
                Episode.status.in_(APPROVED),
                Episode.recalled.is_(False),
            )
        ).scalar_one()
    )


def close_order_work(session: Session, order: Order, actor: str, cause: str) -> None:
    """Cancel the order's unstarted, unassigned tasks and settle its open batches."""
    for task in session.execute(
        select(Task)
        .where(Task.order_id == order.id, Task.status == TaskStatus.pending)
        .with_for_update()
    ).scalars():
        task_states.transition(session, task, TaskStatus.cancelled, actor, cause)
    for batch in session.execute(
        select(Batch).where(Batch.order_id == order.id, Batch.status.in_(OPEN_BATCH))
    ).scalars():
        refresh_batch(session, batch)
        if batch.status in OPEN_BATCH and not _has_running_tasks(session, batch.id):
            batch.status = BatchStatus.completed
            batch.completed_at = utcnow()


def _has_running_tasks(session: Session, batch_id: str) -> bool:
    return bool(
        session.execute(
            select(func.count())
            .select_from(Task)
            .where(Task.batch_id == batch_id, Task.status.in_(task_states.OPEN))
        ).scalar_one()
    )


def refresh_order(session: Session, order: Order, actor: str = "system") -> None:
    """Complete the order at its target; reopen and top up a completed one left short."""
    approved = approved_count(session, order.id)
    if (
        order.status in (OrderStatus.active, OrderStatus.paused)
        and approved >= order.target_episodes
    ):
        order.status = OrderStatus.completed
        order.completed_at = utcnow()
        close_order_work(session, order, actor, "order reached its target")
    elif order.status == OrderStatus.completed and approved < order.target_episodes:
        order.status = OrderStatus.active  # recalled episodes left it short
        order.completed_at = None
        top_up(session, order)


def after_task_change(session: Session, task: Task) -> None:
    """Let the task's batch and workstation follow it (counting a batch's tasks is only
    needed when a task ends)."""
    if task.status in TERMINAL:
        batch = session.get(Batch, task.batch_id)
        if batch is not None:
            refresh_batch(session, batch)
    elif task.status in FINISHED:
        # The batch becomes active with its first finished task.
        batch = session.get(Batch, task.batch_id)
        if batch is not None and batch.status == BatchStatus.pending:
            batch.status = BatchStatus.active
            batch.activated_at = utcnow()
    refresh_workstation(session, task.workstation_id, task)


def refresh_workstation(session: Session, workstation_id: str, task: Task | None = None) -> None:
    """`recording` while the station has an assigned open task, else back to `idle`."""
    from keystone_api.fleet.models import Workstation, WorkstationStatus

    ws = session.get(Workstation, workstation_id)
    if ws is None or ws.status not in (WorkstationStatus.idle, WorkstationStatus.recording):
        return
    if task is not None and task.assigned_at is not None and task.status in RECORDING:
        ws.status = WorkstationStatus.recording  # this task is open: no need to count
        return
    busy = session.execute(
        select(func.count())
        .select_from(Task)
        .where(
            Task.workstation_id == workstation_id,
            Task.assigned_at.is_not(None),
            Task.status.in_(RECORDING),
        )
    ).scalar_one()
    ws.status = WorkstationStatus.recording if busy else WorkstationStatus.idle
