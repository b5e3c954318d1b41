"""Order manager: create orders, schedule them, pause/resume/cancel; batch cancel/recall."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.common.refs import live_ref
from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode
from keystone_api.errors import Conflict, Invalid
from keystone_api.orders import lifecycle, lifecycle_orm, task_states
from keystone_api.orders.lifecycle_orm import settle_batch
from keystone_api.orders.models import Batch, BatchStatus, Order, OrderStatus, Task, TaskStatus
from keystone_api.orders.progress import close_order_work, refresh_order
from keystone_api.orders.scheduling import last_sequence, tasks_after, top_up
from keystone_api.orders.schemas import OrderIn
from keystone_api.registry.models import Factory, Scene, Sop, Subscene


def create_order(session: Session, principal: Principal, body: OrderIn) -> Order:
    factory = live_ref(session, Factory, body.factory_id, "factory", principal, body.factory_id)
    subscene = live_ref(session, Subscene, body.subscene_id, "subscene")
    scene = live_ref(session, Scene, subscene.scene_id, "scene")
    if scene.factory_id != factory.id:
        raise Invalid("subscene_id: the subscene is not in this factory")
    if body.scene_id is not None and body.scene_id != scene.id:
        raise Invalid("scene_id: the subscene belongs to another scene")
    sop = live_ref(session, Sop, body.sop_id, "SOP")
    if sop.subscene_id != subscene.id:
        raise Invalid("sop_id: the SOP is for another subscene")
    order = Order(
        factory_id=factory.id,
        scene_id=scene.id,
        subscene_id=subscene.id,
        sop_id=sop.id,
        name=body.name,
        target_episodes=body.target_episodes,
        priority=body.priority,
        deadline=body.deadline,
        created_by=principal.actor,
        status=OrderStatus.active,
    )
    session.add(order)
    session.flush()
    if not top_up(session, order, only=body.workstation_ids, batch_size=body.batch_size):
        order.status = OrderStatus.pending  # no eligible workstation yet: schedule later
    return order


def schedule(
    session: Session, order: Order, workstation_ids: list[str] | None, batch_size: int
) -> list[Task]:
    """Create tasks for whatever the order still lacks (after cancelled batches, new stations)."""
    if order.status not in (OrderStatus.pending, OrderStatus.active, OrderStatus.paused):
        raise Conflict(f"order is {order.status.value}", {"current_status": order.status.value})
    before = last_sequence(session, order)
    if top_up(session, order, only=workstation_ids, batch_size=batch_size) and (
        order.status == OrderStatus.pending
    ):
        order.status = OrderStatus.active
    return tasks_after(session, order, before)


def set_order_status(session: Session, order: Order, action: str, actor: str) -> Order:
    current = order.status
    if action == "pause":
        if current != OrderStatus.active:
            raise Conflict(
                f"only an active order can be paused (it is {current.value})",
                {"current_status": current.value},
            )
        order.status = OrderStatus.paused
    elif action == "resume":
        if current != OrderStatus.paused:
            raise Conflict(
                f"only a paused order can be resumed (it is {current.value})",
                {"current_status": current.value},
            )
        order.status = OrderStatus.active
        refresh_order(session, order, actor)
    elif action == "cancel":
        if current in (OrderStatus.completed, OrderStatus.cancelled):
            raise Conflict(
                f"the order is already {current.value}", {"current_status": current.value}
            )
        order.status = OrderStatus.cancelled
        # Assigned-but-unstarted tasks are withdrawn too; recordings under way finish.
        for task in session.execute(
            select(Task).where(Task.order_id == order.id, Task.status == TaskStatus.ready)
        ).scalars():
            _cancel(session, task, actor, "order cancelled")
        close_order_work(session, order, actor, "order cancelled")
    else:
        raise Invalid(f"action: unknown '{action}'")
    return order


def cancel_batch(session: Session, batch: Batch, actor: str) -> Batch:
    if batch.status not in (BatchStatus.pending, BatchStatus.active):
        raise Conflict(f"batch is {batch.status.value}", {"current_status": batch.status.value})
    for task in session.execute(
        select(Task)
        .where(Task.batch_id == batch.id, Task.status.in_(task_states.UNSTARTED))
        .with_for_update()
    ).scalars():
        _cancel(session, task, actor, "batch cancelled")
    batch.status = BatchStatus.cancelled
    batch.completed_at = utcnow()
    settle_batch(session, batch)
    return batch


def recall_batch(session: Session, batch: Batch, actor: str) -> int:
    """Label the batch's episodes recalled (they stop counting towards the order)."""
    if batch.status == BatchStatus.recalled:
        raise Conflict("batch is already recalled", {"current_status": batch.status.value})
    result: Any = session.execute(
        update(Episode)
        .where(Episode.batch_id == batch.id, Episode.recalled.is_(False))
        .values(recalled=True, updated_at=utcnow())
    )
    count = result.rowcount
    for task in session.execute(
        select(Task).where(Task.batch_id == batch.id, Task.status.in_(task_states.UNSTARTED))
    ).scalars():
        _cancel(session, task, actor, "batch recalled")
    batch.status = BatchStatus.recalled
    batch.completed_at = batch.completed_at or utcnow()
    order = session.get(Order, batch.order_id)
    if order is not None:
        session.flush()
        refresh_order(session, order, actor)
    return int(count or 0)


def _cancel(session: Session, task: Task, actor: str, cause: str) -> None:
    """One of many tasks cancelled together: their batches are settled once, after."""
    lifecycle_orm.run(session, task, lifecycle.cancel, actor, cause, follow=False)
