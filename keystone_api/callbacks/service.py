"""Robot callbacks: record what the recorder reports and advance the task.

The recorder sends each callback once, never retries, and sends it from another thread than
its RPC answers, so start, finish and the landed recording may arrive in any order, and any
of them may be lost. Rules: a duplicate (same facts) gets the same answer; a conflicting one
(other facts) is a 409; a late callback records its facts without moving the task back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.errors import Conflict, Forbidden, NotFound
from keystone_api.fleet.models import Robot, Workstation
from keystone_api.orders import task_states
from keystone_api.orders.events import task_events
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.orders.progress import after_task_change


def _owned_task(session: Session, principal: Principal, task_id: str, device_id: str) -> Task:
    if principal.device_id is not None and principal.device_id != device_id:
        raise Forbidden("device_id: does not match the caller's token")
    if principal.kind == "task" and principal.task_id != task_id:
        raise Forbidden("this token is for another task")
    task = session.execute(
        select(Task).where(Task.id == task_id).with_for_update()
    ).scalar_one_or_none()
    if task is None:
        raise NotFound(f"task '{task_id}' not found")
    # One statement for the owner facts (factory, robot, its device id): callbacks are the
    # hottest path of the API.
    owner = session.execute(
        select(Workstation.factory_id, Robot.id, Robot.device_id)
        .select_from(Workstation)
        .outerjoin(Robot, Robot.id == func.coalesce(task.robot_id, Workstation.robot_id))
        .where(Workstation.id == task.workstation_id)
    ).first()
    if owner is None or not principal.sees_factory(owner[0]):
        raise NotFound(f"task '{task_id}' not found")
    _, robot_id, robot_device = owner
    if robot_id is None or robot_device != device_id:
        raise Forbidden(f"task '{task_id}' is not assigned to device '{device_id}'")
    if task.robot_id is None:
        task.robot_id = robot_id
    return task


def _facts(body: Any, keys: tuple[str, ...]) -> tuple[Any, ...]:
    data = body if isinstance(body, dict) else body.model_dump(mode="json")
    return tuple(data.get(k) for k in keys)


START_FACTS = ("device_id", "started_at")
FINISH_FACTS = ("device_id", "started_at", "finished_at", "file_size_bytes", "message_count")


def record_start(session: Session, principal: Principal, body: StartCallback) -> CallbackAck:
    task = _owned_task(session, principal, body.task_id, body.device_id)
    stored = body.model_dump(mode="json")
    if task.start_callback is not None:
        if _facts(task.start_callback, START_FACTS) != _facts(stored, START_FACTS):
            raise Conflict(
                "a different start was already recorded for this task",
                {
                    "current_status": task.status.value,
                    "recorded_started_at": task.start_callback.get("started_at"),
                },
            )
        return CallbackAck(task_id=task.id, status=task.status, duplicate=True)
    if task.status == TaskStatus.cancelled:
        raise Conflict("task is cancelled", {"current_status": task.status.value})
    task.start_callback = stored
    if task.status in (TaskStatus.pending, TaskStatus.ready):
        task_states.transition(
            session, task, TaskStatus.in_progress, principal.actor, "start callback"
        )
        task.started_at = body.started_at
    # Otherwise the finish or the landed recording came first: keep the facts, stay put.
    after_task_change(session, task)
    return CallbackAck(task_id=task.id, status=task.status, duplicate=False)


def record_finish(session: Session, principal: Principal, body: FinishCallback) -> CallbackAck:
    task = _owned_task(session, principal, body.task_id, body.device_id)
    stored = body.model_dump(mode="json")
    if task.finish_callback is not None:
        if _facts(task.finish_callback, FINISH_FACTS) != _facts(stored, FINISH_FACTS):
            raise Conflict(
                "a different finish was already recorded for this task",
                {
                    "current_status": task.status.value,
                    "recorded_finished_at": task.finish_callback.get("finished_at"),
                },
            )
        return CallbackAck(task_id=task.id, status=task.status, duplicate=True)
    task.finish_callback = stored
    task.finished_at = body.finished_at
    if task.started_at is None:
        task.started_at = body.started_at
    if task.status in (TaskStatus.pending, TaskStatus.ready, TaskStatus.in_progress):
        cause = (
            "finish callback"
            if task.status == TaskStatus.in_progress
            else "finish callback (start callback never arrived)"
        )
        task_states.transition(session, task, TaskStatus.uploading, principal.actor, cause)
        after_task_change(session, task)
        session.flush()
        task_events.upload_requested(task)
    return CallbackAck(task_id=task.id, status=task.status, duplicate=False)
