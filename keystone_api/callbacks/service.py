"""Robot callbacks: record what the recorder reports and advance the task.

The recorder sends each callback once, never retries, and sends it from another thread than
its RPC answers, so start, finish and the landed recording may arrive in any order, and any
of them may be lost. Rules: a duplicate (same facts) gets the same answer; a conflicting one
(other facts) is a 409; a late callback records its facts without moving the task back.

Callbacks are the API's hottest path (every recording of every robot, twice), so they run
as a handful of Core statements on the request's transaction instead of ORM loads and
flushes: one locking read of the task with its owner, one UPDATE, the transition row, the
replica outbox row. They go to the session's Connection (its transaction), skipping the
ORM's execution layer, which they do not need. The rules are the task state machine's own
(task_states).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, Forbidden, NotFound
from keystone_api.fleet.models import Robot, Workstation, WorkstationStatus
from keystone_api.ids import new_id
from keystone_api.orders import task_states
from keystone_api.orders.events import task_events
from keystone_api.orders.models import Batch, BatchStatus, Task, TaskStatus, TaskTransition
from keystone_api.orders.progress import RECORDING
from keystone_api.sync.models import OUTBOX_INSERT, outbox_row

START_FACTS = ("device_id", "started_at")
FINISH_FACTS = ("device_id", "started_at", "finished_at", "file_size_bytes", "message_count")

_OWNED = (
    select(
        Task.id,
        Task.status,
        Task.version,
        Task.robot_id,
        Task.batch_id,
        Task.workstation_id,
        Task.assigned_at,
        Task.started_at,
        Task.start_callback,
        Task.finish_callback,
        Workstation.factory_id,
        Workstation.status.label("ws_status"),
        Robot.id.label("owner_robot_id"),
        Robot.device_id,
        Batch.status.label("batch_status"),
        Batch.version.label("batch_version"),
    )
    .join(Workstation, Workstation.id == Task.workstation_id)
    .join(Batch, Batch.id == Task.batch_id)
    .outerjoin(Robot, Robot.id == func.coalesce(Task.robot_id, Workstation.robot_id))
    .where(Task.id == bindparam("task_id"))
    .with_for_update()
)
# Every statement of this module is built once, with bind parameters: building one per
# call (and computing its cache key) was ~15 % of a callback's CPU. UPDATEs take their SET
# columns from the parameters given at execution.
_INSERT_TRANSITION = insert(TaskTransition)
_UPDATE_TASK = (
    update(Task).where(Task.id == bindparam("b_task_id")).values(version=Task.version + 1)
)
_ACTIVATE_BATCH = (
    update(Batch)
    .where(Batch.id == bindparam("b_batch_id"))
    .values(status=BatchStatus.active, version=Batch.version + 1)
)
_OTHER_OPEN_TASK = (
    select(Task.id)
    .where(
        Task.workstation_id == bindparam("workstation_id"),
        Task.id != bindparam("task_id"),
        Task.assigned_at.is_not(None),
        Task.status.in_(RECORDING),
    )
    .limit(1)
)
# The Core form of progress.refresh_workstation's rule (recording while the station has an
# assigned open task), for this hot path. Only between idle and recording: a break or a
# logout is the collector's, not ours.
_WORKSTATION_STATUS = update(Workstation).where(
    Workstation.id == bindparam("b_workstation_id"),
    Workstation.status.in_((WorkstationStatus.idle, WorkstationStatus.recording)),
)


@dataclass(frozen=True)
class TaskRef:
    """What the upload hook needs of a task (the gateway asks its robot to upload)."""

    id: str
    robot_id: str | None


def _owned(session: Session, principal: Principal, task_id: str, device_id: str) -> Row[Any]:
    if principal.device_id is not None and principal.device_id != device_id:
        raise Forbidden("device_id: does not match the caller's token")
    if principal.kind == "task" and principal.task_id != task_id:
        raise Forbidden("this token is for another task")
    # One statement: the task locked, with its factory and the robot that owns it.
    row = session.connection().execute(_OWNED, {"task_id": task_id}).first()
    if row is None or not principal.sees_factory(row.factory_id):
        raise NotFound(f"task '{task_id}' not found")
    if row.owner_robot_id is None or row.device_id != device_id:
        raise Forbidden(f"task '{task_id}' is not assigned to device '{device_id}'")
    return row


def _facts(data: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(data.get(k) for k in keys)


def _duplicate(
    row: Row[Any],
    recorded: dict[str, Any] | None,
    stored: dict[str, Any],
    keys: tuple[str, ...],
    what: str,
    at_key: str,
) -> CallbackAck | None:
    """The same answer for a repeat, a 409 for a different one, None for a first one."""
    if recorded is None:
        return None
    if _facts(recorded, keys) != _facts(stored, keys):
        raise Conflict(
            f"a different {what} was already recorded for this task",
            {"current_status": row.status.value, f"recorded_{at_key}": recorded.get(at_key)},
        )
    return CallbackAck(task_id=row.id, status=row.status, duplicate=True)


def _write(
    session: Session,
    row: Row[Any],
    values: dict[str, Any],
    target: TaskStatus | None,
    actor: str,
    cause: str,
) -> None:
    """Update the task (and record the transition to `target`, when there is one)."""
    now = utcnow()
    if target is not None and target != row.status:
        task_states.check(row.id, row.status, target)
        values = {
            **task_states.changed_columns(target, row.started_at, now),
            **values,
            "status": target,
        }
        session.connection().execute(
            _INSERT_TRANSITION,
            {
                "id": new_id(),
                **task_states.transition_row(row.id, row.status, target, actor, cause, now),
            },
        )
    if row.robot_id is None:
        values["robot_id"] = row.owner_robot_id
    session.connection().execute(_UPDATE_TASK, {**values, "updated_at": now, "b_task_id": row.id})
    session.connection().execute(OUTBOX_INSERT, outbox_row("task", row.id, row.version + 1))


def record_start(session: Session, principal: Principal, body: StartCallback) -> CallbackAck:
    row = _owned(session, principal, body.task_id, body.device_id)
    stored = body.model_dump(mode="json")
    repeat = _duplicate(row, row.start_callback, stored, START_FACTS, "start", "started_at")
    if repeat is not None:
        return repeat
    if row.status == TaskStatus.cancelled:
        raise Conflict("task is cancelled", {"current_status": row.status.value})
    status = row.status
    if status in (TaskStatus.pending, TaskStatus.ready):
        status = TaskStatus.in_progress
        _write(
            session,
            row,
            {"start_callback": stored, "started_at": body.started_at},
            status,
            principal.actor,
            "start callback",
        )
        if row.assigned_at is not None and row.ws_status == WorkstationStatus.idle:
            _workstation_status(session, row.workstation_id, WorkstationStatus.recording)
    else:
        # The finish or the landed recording came first: keep the facts, stay put.
        _write(session, row, {"start_callback": stored}, None, principal.actor, "")
    return CallbackAck(task_id=row.id, status=status, duplicate=False)


def record_finish(session: Session, principal: Principal, body: FinishCallback) -> CallbackAck:
    row = _owned(session, principal, body.task_id, body.device_id)
    stored = body.model_dump(mode="json")
    repeat = _duplicate(row, row.finish_callback, stored, FINISH_FACTS, "finish", "finished_at")
    if repeat is not None:
        return repeat
    values: dict[str, Any] = {"finish_callback": stored, "finished_at": body.finished_at}
    if row.started_at is None:
        values["started_at"] = body.started_at
    if row.status not in RECORDING:
        _write(session, row, values, None, principal.actor, "")  # late: record the facts
        return CallbackAck(task_id=row.id, status=row.status, duplicate=False)
    cause = (
        "finish callback"
        if row.status == TaskStatus.in_progress
        else "finish callback (start callback never arrived)"
    )
    _write(session, row, values, TaskStatus.uploading, principal.actor, cause)
    if row.batch_status == BatchStatus.pending:
        # The batch becomes active with its first finished task.
        session.connection().execute(
            _ACTIVATE_BATCH, {"b_batch_id": row.batch_id, "activated_at": utcnow()}
        )
        session.connection().execute(
            OUTBOX_INSERT, outbox_row("batch", row.batch_id, row.batch_version + 1)
        )
    if row.ws_status == WorkstationStatus.recording and not _other_open_task(session, row):
        _workstation_status(session, row.workstation_id, WorkstationStatus.idle)
    task_events.upload_requested(TaskRef(row.id, row.robot_id or row.owner_robot_id))
    return CallbackAck(task_id=row.id, status=TaskStatus.uploading, duplicate=False)


def _other_open_task(session: Session, row: Row[Any]) -> bool:
    found = session.connection().execute(
        _OTHER_OPEN_TASK, {"workstation_id": row.workstation_id, "task_id": row.id}
    )
    return found.first() is not None


def _workstation_status(session: Session, workstation_id: str, status: WorkstationStatus) -> None:
    session.connection().execute(
        _WORKSTATION_STATUS, {"b_workstation_id": workstation_id, "status": status}
    )
