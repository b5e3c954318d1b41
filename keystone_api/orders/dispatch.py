"""Handing out work: the next task of a workstation, and the recorder's task config."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, NotFound
from keystone_api.fleet.models import (
    DataCollector,
    Robot,
    RobotType,
    Workstation,
    WorkstationStatus,
)
from keystone_api.orders.lifecycle_core import station_busy
from keystone_api.orders.lifecycle_orm import refresh_workstation
from keystone_api.orders.models import Batch, BatchStatus, Order, OrderStatus, Task, TaskStatus
from keystone_api.registry.models import Factory, Scene, Skill, Subscene, SubsceneSkill
from keystone_api.settings import Settings

# How long a task's user_token (for its callbacks) stays valid.
TASK_TOKEN_TTL_S = 7 * 24 * 3600


class NoTaskAvailable(NotFound):
    code = "no_task_available"


def open_task(session: Session, ws: Workstation) -> Task | None:
    """The task the workstation is working on: handed out and not yet finished."""
    return session.execute(
        select(Task).where(*station_busy(ws.id)).order_by(Task.assigned_at).limit(1)
    ).scalar_one_or_none()


def next_task(session: Session, ws_id: str, principal: Principal) -> Task:
    # Lock the workstation: concurrent asks from one station serialize and get one task.
    ws = session.execute(
        select(Workstation).where(Workstation.id == ws_id).with_for_update()
    ).scalar_one_or_none()
    if ws is None or ws.archived_at is not None or not principal.sees_factory(ws.factory_id):
        raise NotFound(f"workstation '{ws_id}' not found")
    if principal.role == Role.collector and ws.data_collector_id != principal.data_collector_id:
        raise NotFound(f"workstation '{ws_id}' not found")
    if ws.data_collector_id is None:
        raise Conflict("no collector is logged in at this workstation")
    if ws.status == WorkstationStatus.on_break:
        raise Conflict("the workstation is on a break; end it first")
    robot = session.get(Robot, ws.robot_id) if ws.robot_id else None
    if robot is None:
        raise Conflict("no robot is paired with this workstation")
    if robot.maintenance:
        raise Conflict(f"robot '{robot.device_id}' is in maintenance")
    current = open_task(session, ws)
    if current is not None:
        return current
    # Tasks are handed out only here, under the workstation's lock, so a plain read finds
    # the candidate; it is then locked alone (a FOR UPDATE on the join would also lock the
    # shared order row and make other stations' SKIP LOCKED miss their tasks).
    candidates = (
        session.execute(
            select(Task.id)
            .join(Batch, Task.batch_id == Batch.id)
            .join(Order, Task.order_id == Order.id)
            .where(
                Task.workstation_id == ws.id,
                Task.status == TaskStatus.pending,
                Task.assigned_at.is_(None),
                Batch.status.in_((BatchStatus.pending, BatchStatus.active)),
                Order.status == OrderStatus.active,
            )
            .order_by(
                case((Batch.status == BatchStatus.active, 0), else_=1),
                Order.priority.desc(),
                Order.deadline.is_(None),
                Order.deadline,
                Batch.created_at,
                Task.sequence,
            )
            .limit(5)
        )
        .scalars()
        .all()
    )
    task = None
    for task_id in candidates:
        locked = session.execute(
            select(Task).where(Task.id == task_id).with_for_update()
        ).scalar_one()
        if locked.status == TaskStatus.pending and locked.assigned_at is None:
            task = locked
            break
    if task is None:
        raise NoTaskAvailable("no task is waiting for this workstation")
    task.assigned_at = utcnow()
    task.data_collector_id = ws.data_collector_id
    task.robot_id = robot.id
    session.flush()
    refresh_workstation(session, ws.id)
    return task


def task_user_token(settings: Settings, task: Task, factory_id: str, device_id: str) -> str:
    """A token valid only for this task's callbacks."""
    claims = TokenClaims(
        "task", task.id, Role.robot.value, factory_id, device_id=device_id, task_id=task.id
    )
    return mint(settings, claims, TASK_TOKEN_TTL_S)


def task_config(session: Session, settings: Settings, task: Task) -> dict[str, Any]:
    """The recorder's `task_config` (axon-protocol.md section 2, `config`)."""
    order = session.get(Order, task.order_id)
    assert order is not None
    ws = session.get(Workstation, task.workstation_id)
    robot_id = task.robot_id or (ws.robot_id if ws else None)
    robot = session.get(Robot, robot_id) if robot_id else None
    if robot is None:
        raise Conflict("the task's workstation has no robot paired")
    subscene = session.get(Subscene, order.subscene_id)
    scene = session.get(Scene, order.scene_id)
    factory = session.get(Factory, order.factory_id)
    robot_type = session.get(RobotType, robot.robot_type_id)
    collector_id = task.data_collector_id or (ws.data_collector_id if ws else None)
    collector = session.get(DataCollector, collector_id) if collector_id else None
    skills = (
        session.execute(
            select(Skill.name)
            .join(SubsceneSkill, SubsceneSkill.skill_id == Skill.id)
            .where(SubsceneSkill.subscene_id == order.subscene_id)
            .order_by(SubsceneSkill.position)
        )
        .scalars()
        .all()
    )
    base = settings.public_base_url.rstrip("/")
    return {
        "task_id": task.id,
        "device_id": robot.device_id,
        "data_collector_id": collector.id if collector else "",
        "operator_name": collector.name if collector else "",
        "order_id": order.id,
        "factory": factory.name if factory else "",
        "scene": scene.name if scene else "",
        "subscene": subscene.name if subscene else "",
        "skills": list(skills),
        "sop_id": task.sop_id,
        "topics": [t["name"] for t in (robot_type.topics if robot_type else []) if "name" in t],
        "start_callback_url": f"{base}/api/v1/callbacks/start",
        "finish_callback_url": f"{base}/api/v1/callbacks/finish",
        "user_token": task_user_token(settings, task, order.factory_id, robot.device_id),
    }
