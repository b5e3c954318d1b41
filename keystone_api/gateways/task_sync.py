"""Tasks follow their recorder: `config_applied` -> ready, `recording` -> in_progress; a
cancel returns ready / in_progress tasks to pending; a recorder whose socket drops keeps
its tasks (marked offline) until it is back and says what it holds; a `finish` answer
moves the task to uploading even when the finish callback is lost.

A robot only moves its own tasks: the task must be assigned to it, or belong to the
workstation it is paired with. Anything else is refused (returns None) and logged by the
caller; it never closes the socket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, NotFound
from keystone_api.fleet.models import Workstation
from keystone_api.gateways.connections import RobotRef
from keystone_api.orders import lifecycle, lifecycle_orm, task_states
from keystone_api.orders.dispatch import task_config
from keystone_api.orders.lifecycle import Change
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.settings import Settings


def owned_task(
    session: Session, robot: RobotRef, task_id: str, *, lock: bool = True
) -> Task | None:
    """The task if it is this robot's (lifecycle.holder; locked for update), else None."""
    stmt = select(Task).where(Task.id == task_id)
    task = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if task is None:
        return None
    station_robot = None
    if task.robot_id is None:
        station_robot = session.execute(
            select(Workstation.robot_id).where(Workstation.id == task.workstation_id)
        ).scalar()
    return task if lifecycle.holder(task.robot_id, station_robot) == robot.robot_id else None


def _decide(
    session: Session, robot: RobotRef, task_id: str, rule: Callable[..., Change], *args: Any
) -> str | None:
    """Apply `rule` to the robot's task; its status after, or None if not this robot's."""
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    return lifecycle_orm.run(session, task, rule, *args).status.value


def task_ready(session: Session, robot: RobotRef, task_id: str, cause: str) -> str | None:
    """config_applied: pending -> ready."""
    return _decide(session, robot, task_id, lifecycle.configured, _actor(robot), cause)


def task_recording(session: Session, robot: RobotRef, task_id: str, cause: str) -> str | None:
    """The recorder records (or paused) this task."""
    return _decide(session, robot, task_id, lifecycle.recording, _actor(robot), cause)


def task_back_to_pending(session: Session, robot: RobotRef, task_id: str, cause: str) -> str | None:
    """The recorder cancelled the task it held."""
    return _decide(session, robot, task_id, lifecycle.recorder_cancelled, _actor(robot), cause)


def task_finished(session: Session, robot: RobotRef, task_id: str) -> str | None:
    """The recorder answered `finish`: its files are written."""
    return _decide(session, robot, task_id, lifecycle.finish_answered, _actor(robot))


def _actor(robot: RobotRef) -> str:
    return f"device:{robot.device_id}"


def _robots_tasks(session: Session, robot: RobotRef, *where: Any, lock: bool = True) -> list[Task]:
    """This robot's tasks (assigned to it, or of its workstation) matching `where`."""
    ws_ids = select(Workstation.id).where(Workstation.robot_id == robot.robot_id)
    stmt = select(Task).where(
        *where, or_(Task.robot_id == robot.robot_id, Task.workstation_id.in_(ws_ids))
    )
    tasks = session.execute(stmt.with_for_update() if lock else stmt).scalars()
    return [task for task in tasks if task.robot_id in (None, robot.robot_id)]


def mark_recorder_offline(session: Session, robot: RobotRef) -> list[str]:
    """The recorder's socket dropped: the tasks it holds stay its own, marked
    (lifecycle.recorder_offline); it says what became of them when it is back
    (recorder_back), or staff release them once it stayed away long enough."""
    marked = []
    for task in _robots_tasks(session, robot, Task.status.in_(task_states.AT_RECORDER)):
        if lifecycle_orm.run(session, task, lifecycle.recorder_offline).values:
            marked.append(task.id)
    return marked


def recorder_back(session: Session, robot: RobotRef, current: str, task_id: str | None) -> None:
    """The recorder (re)connected and says its state (lifecycle.recorder_back)."""
    marked = Task.recorder_offline_at.is_not(None)
    if not _robots_tasks(session, robot, marked, lock=False):
        return  # the usual case: nothing to settle, nothing locked
    for task in _robots_tasks(session, robot, marked):
        lifecycle_orm.run(session, task, lifecycle.recorder_back, task_id, current, _actor(robot))


def prepare_config(
    session: Session, settings: Settings, robot: RobotRef, task_id: str
) -> dict[str, Any]:
    """The `config` RPC's task_config: only for a pending task of the device's workstation."""
    task = session.execute(select(Task).where(Task.id == task_id).with_for_update()).scalar()
    ws = session.get(Workstation, task.workstation_id) if task is not None else None
    if task is None or ws is None or ws.factory_id != robot.factory_id:
        raise NotFound(f"task '{task_id}' not found")
    if ws.robot_id != robot.robot_id or task.robot_id not in (None, robot.robot_id):
        raise Conflict(
            f"task '{task_id}' belongs to workstation '{ws.name}', which is not paired with "
            f"device '{robot.device_id}'",
            {"workstation_id": ws.id},
        )
    if task.status != TaskStatus.pending:
        raise Conflict(
            f"task '{task_id}' is {task.status.value}; only a pending task can be configured",
            {"current_status": task.status.value},
        )
    if task.robot_id is None:
        task.robot_id = robot.robot_id
    if task.assigned_at is None:
        # Configured directly (not through tasks/next): it is this station's open task now.
        task.assigned_at = utcnow()
        task.data_collector_id = task.data_collector_id or ws.data_collector_id
        lifecycle_orm.refresh_workstation(session, task.workstation_id, task)
    session.flush()
    return task_config(session, settings, task)


def task_status(session: Session, task_id: str | None) -> str | None:
    if not task_id:
        return None
    task = session.get(Task, task_id)
    return task.status.value if task is not None else None
