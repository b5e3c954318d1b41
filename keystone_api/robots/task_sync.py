"""Tasks follow their recorder: `config_applied` -> ready, `recording` -> in_progress; a
cancel returns ready / in_progress tasks to pending; a recorder whose socket drops keeps
its tasks (marked offline) until it is back and says what it holds; a `finish` answer
moves the task to uploading even when the finish callback is lost.

A robot only moves its own tasks: the task must be assigned to it, or belong to the
workstation it is paired with. Anything else is refused (returns None) and logged by the
caller; it never closes the socket.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, NotFound
from keystone_api.fleet.models import Workstation
from keystone_api.orders import task_states
from keystone_api.orders.dispatch import task_config
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.orders.progress import after_task_change
from keystone_api.robots.connections import RobotRef
from keystone_api.settings import Settings

S = TaskStatus
AT_RECORDER = task_states.AT_RECORDER


def owned_task(
    session: Session, robot: RobotRef, task_id: str, *, lock: bool = True
) -> Task | None:
    """The task if it is this robot's (locked for update), else None."""
    stmt = select(Task).where(Task.id == task_id)
    task = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if task is None:
        return None
    if task.robot_id is not None:
        return task if task.robot_id == robot.robot_id else None
    ws_robot = session.execute(
        select(Workstation.robot_id).where(Workstation.id == task.workstation_id)
    ).scalar()
    return task if ws_robot == robot.robot_id else None


def _move(session: Session, task: Task, target: S, actor: str, cause: str) -> None:
    if task_states.transition(session, task, target, actor, cause):
        after_task_change(session, task)


def task_ready(session: Session, robot: RobotRef, task_id: str, cause: str) -> str | None:
    """config_applied: pending -> ready. Returns the task's status, None if not this robot's."""
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    if task.status == S.pending:
        _move(session, task, S.ready, f"device:{robot.device_id}", cause)
    return task.status.value


def task_recording(session: Session, robot: RobotRef, task_id: str, cause: str) -> str | None:
    """The recorder records (or paused) this task: pending / ready -> in_progress. A task
    already further on (the finish callback came first) stays where it is."""
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    if task.status in (S.pending, S.ready):
        _move(session, task, S.in_progress, f"device:{robot.device_id}", cause)
    return task.status.value


def task_back_to_pending(session: Session, robot: RobotRef, task_id: str, cause: str) -> str | None:
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    if task.status in AT_RECORDER:
        _move(session, task, S.pending, f"device:{robot.device_id}", cause)
    return task.status.value


def task_finished(session: Session, robot: RobotRef, task_id: str) -> str | None:
    """The recorder answered `finish`: its files are written. Without the finish callback
    (lost, or still on its way) the task still moves on to uploading."""
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    if task.status in (S.pending, S.ready, S.in_progress):
        cause = "finish RPC answered (finish callback not received yet)"
        _move(session, task, S.uploading, f"device:{robot.device_id}", cause)
        if task.finished_at is None:
            task.finished_at = utcnow()
    return task.status.value


def _robots_tasks(session: Session, robot: RobotRef, *where: Any, lock: bool = True) -> list[Task]:
    """This robot's tasks (assigned to it, or of its workstation) matching `where`."""
    ws_ids = select(Workstation.id).where(Workstation.robot_id == robot.robot_id)
    stmt = select(Task).where(
        *where, or_(Task.robot_id == robot.robot_id, Task.workstation_id.in_(ws_ids))
    )
    tasks = session.execute(stmt.with_for_update() if lock else stmt).scalars()
    return [task for task in tasks if task.robot_id in (None, robot.robot_id)]


def mark_recorder_offline(session: Session, robot: RobotRef) -> list[str]:
    """The recorder's socket dropped. A real recorder keeps recording and reconnects with
    backoff (axon-protocol.md section 7), so its ready / in-progress tasks stay its own,
    marked with when it went offline: never back to pending, where another station could
    take them while the robot still records. It says what became of them when it is back
    (recorder_back), or staff release them once the recorder stayed away long enough."""
    marked = []
    for task in _robots_tasks(session, robot, Task.status.in_(AT_RECORDER)):
        if task.recorder_offline_at is None:
            task.recorder_offline_at = utcnow()
            marked.append(task.id)
    return marked


def recorder_back(session: Session, robot: RobotRef, current: str, task_id: str | None) -> None:
    """The recorder (re)connected and says its state: the task it still holds continues;
    a task it no longer holds (it restarted, or moved on) goes back to pending."""
    marked = Task.recorder_offline_at.is_not(None)
    if not _robots_tasks(session, robot, marked, lock=False):
        return  # the usual case: nothing to settle, nothing locked
    for task in _robots_tasks(session, robot, marked):
        task.recorder_offline_at = None
        if task.id != task_id and task.status in AT_RECORDER:
            cause = f"recorder back ({current}) without this task"
            _move(session, task, S.pending, f"device:{robot.device_id}", cause)
            task.assigned_at = None


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
    if task.status != S.pending:
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
        after_task_change(session, task)
    session.flush()
    return task_config(session, settings, task)


def task_status(session: Session, task_id: str | None) -> str | None:
    if not task_id:
        return None
    task = session.get(Task, task_id)
    return task.status.value if task is not None else None
