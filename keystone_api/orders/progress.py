"""Orders follow their episodes (a task's batch and workstation follow it: lifecycle_orm).

- an order completes when its approved (unrecalled) episodes reach the target, closing its
  open batches; when rejections or recalls leave it short it gets replacement tasks.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode
from keystone_api.episodes.states import APPROVED
from keystone_api.orders import followers, lifecycle, lifecycle_orm, task_states
from keystone_api.orders.lifecycle_orm import settle_batch
from keystone_api.orders.models import Batch, BatchStatus, Order, OrderStatus, Task, TaskStatus
from keystone_api.orders.scheduling import top_up


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
        lifecycle_orm.run(session, task, lifecycle.cancel, actor, cause, follow=False)
    for batch in session.execute(
        select(Batch).where(Batch.order_id == order.id, Batch.status.in_(followers.OPEN_BATCH))
    ).scalars():
        settle_batch(session, batch)
        if batch.status in followers.OPEN_BATCH and not _has_running_tasks(session, batch.id):
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
