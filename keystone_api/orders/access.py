"""Object-level access to orders, batches and tasks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.errors import NotFound
from keystone_api.fleet.models import Workstation
from keystone_api.orders.models import Batch, Order, Task


def collector_workstation_ids(session: Session, principal: Principal) -> list[str]:
    if principal.data_collector_id is None:
        return []
    return list(
        session.execute(
            select(Workstation.id).where(
                Workstation.data_collector_id == principal.data_collector_id
            )
        ).scalars()
    )


def load_order(
    session: Session, principal: Principal, order_id: str, *, lock: bool = False
) -> Order:
    stmt = select(Order).where(Order.id == order_id)
    order = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if order is None or not principal.sees_factory(order.factory_id):
        raise NotFound(f"order '{order_id}' not found")
    return order


def load_batch(
    session: Session, principal: Principal, batch_id: str, *, lock: bool = False
) -> Batch:
    stmt = select(Batch).where(Batch.id == batch_id)
    batch = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if batch is None:
        raise NotFound(f"batch '{batch_id}' not found")
    load_order(session, principal, batch.order_id)
    return batch


def load_task(session: Session, principal: Principal, task_id: str, *, lock: bool = False) -> Task:
    """A task the principal may see: staff of its factory, its workstation's collector,
    or the robot (device or task token) it belongs to."""
    stmt = select(Task).where(Task.id == task_id)
    task = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    missing = NotFound(f"task '{task_id}' not found")
    if task is None:
        raise missing
    ws = session.get(Workstation, task.workstation_id)
    if ws is None or not principal.sees_factory(ws.factory_id):
        raise missing
    if principal.role == Role.collector and ws.data_collector_id != principal.data_collector_id:
        raise missing
    if principal.role == Role.robot:
        if principal.kind == "task" and principal.task_id != task.id:
            raise missing
        if principal.kind == "device" and principal.robot_id not in (task.robot_id, ws.robot_id):
            raise missing
    return task
