"""Robot callbacks: record what the recorder reports and advance the task.

The recorder sends each callback once, never retries, and sends it from another thread than
its RPC answers, so start, finish and the landed recording may arrive in any order, and any
of them may be lost. Rules: a duplicate (same facts) gets the same answer; a conflicting one
(other facts) is a 409; a late callback records its facts without moving the task back.

Callbacks are the API's hottest path (every recording of every robot, twice), so they are
written by group commit (db/group_commit.py): the callbacks that arrive together are one
batch, one transaction. `record_batch` locks the batch's tasks in one statement, applies
each callback's rules in arrival order to the tasks as they stand in memory (a start and a
finish of one task in one batch see each other), then writes what they decided with a few
statements for the whole batch. The rules are the task state machine's own (task_states).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import (
    Principal,
    check_device,
    device_principal,
    device_rows,
    token_principal,
)
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.db.base import utcnow
from keystone_api.db.group_commit import BatchContext, Handler
from keystone_api.errors import Conflict, DomainError, Forbidden, NotFound
from keystone_api.fleet.models import Robot, Workstation, WorkstationStatus
from keystone_api.ids import new_id
from keystone_api.orders import task_states
from keystone_api.orders.events import task_events
from keystone_api.orders.models import Batch, BatchStatus, Task, TaskStatus, TaskTransition
from keystone_api.orders.progress import RECORDING
from keystone_api.sync.models import OUTBOX_INSERT, outbox_row

START_FACTS = ("device_id", "started_at")
FINISH_FACTS = ("device_id", "started_at", "finished_at", "file_size_bytes", "message_count")

# Every statement is built once, with bind parameters (building one per call and computing
# its cache key was ~15 % of a callback's CPU).
#
# Locks, always in this order, so concurrent batches (other workers' too) queue behind each
# other instead of deadlocking: the tasks' workstations, then the tasks, each in id order -
# the order of the collector's `tasks/next` too. The stations are locked first because a
# task's new status rewrites its (workstation_id, status) index entry, and InnoDB then checks
# the foreign key with a shared lock on the station row: two batches holding it shared, each
# wanting it exclusive to refresh the station's status, deadlocked. A locking join would
# lock the stations interleaved with the tasks (and the robots, which heartbeats update):
# the tasks' read takes its owner's columns through scalar subqueries, which MariaDB reads
# without locking.
_LOCK_STATIONS = (
    select(Workstation.id)
    .where(
        Workstation.id.in_(
            select(Task.workstation_id).where(Task.id.in_(bindparam("ids", expanding=True)))
        )
    )
    .order_by(Workstation.id)
    .with_for_update()
)
_STATION_ROBOT = (
    select(Workstation.robot_id)
    .where(Workstation.id == Task.workstation_id)
    .correlate(Task)
    .scalar_subquery()
)
_OWNER = func.coalesce(Task.robot_id, _STATION_ROBOT)  # the task's robot, or its station's
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
        select(Workstation.factory_id)
        .where(Workstation.id == Task.workstation_id)
        .scalar_subquery()
        .label("factory_id"),
        _OWNER.label("owner_robot_id"),
        select(Robot.device_id).where(Robot.id == _OWNER).scalar_subquery().label("device_id"),
        select(Batch.status)
        .where(Batch.id == Task.batch_id)
        .scalar_subquery()
        .label("batch_status"),
    )
    .where(Task.id.in_(bindparam("ids", expanding=True)))
    .order_by(Task.id)
    .with_for_update()
)
_INSERT_TRANSITION = insert(TaskTransition)
# SET columns come from each execution's parameters (they differ by what was reported).
_UPDATE_TASK = update(Task).where(Task.id == bindparam("b_task_id"))
_PENDING_BATCH = (
    select(Batch.id, Batch.version)
    .where(Batch.id.in_(bindparam("ids", expanding=True)), Batch.status == BatchStatus.pending)
    .order_by(Batch.id)
    .with_for_update()
)
_ACTIVATE_BATCH = (
    update(Batch)
    .where(Batch.id == bindparam("b_batch_id"))
    .values(status=BatchStatus.active, version=Batch.version + 1)
)
# progress.refresh_workstation's rule for many stations in one statement (`recording` while
# the station has an assigned open task, else `idle`), after the batch's own task writes
# (which its subquery sees; under READ COMMITTED the subquery reads without locking). Only
# between idle and recording: a break or a logout is the collector's, not ours.
_BUSY = exists().where(
    Task.workstation_id == Workstation.id,
    Task.assigned_at.is_not(None),
    Task.status.in_(RECORDING),
)
_REFRESH_STATIONS = (
    update(Workstation)
    .where(
        Workstation.id.in_(bindparam("ids", expanding=True)),
        Workstation.status.in_((WorkstationStatus.idle, WorkstationStatus.recording)),
    )
    .values(
        status=case(
            (_BUSY, literal(WorkstationStatus.recording, Workstation.status.type)),
            else_=literal(WorkstationStatus.idle, Workstation.status.type),
        )
    )
)


@dataclass
class TaskState:
    """A locked task with its owner, as the batch's earlier callbacks left it."""

    id: str
    status: TaskStatus
    version: int
    robot_id: str | None
    batch_id: str
    workstation_id: str
    assigned_at: Any
    started_at: Any
    start_callback: dict[str, Any] | None
    finish_callback: dict[str, Any] | None
    factory_id: str
    owner_robot_id: str | None
    device_id: str | None
    batch_status: BatchStatus


@dataclass
class Writes:
    """What a batch's callbacks decided, written together once all were applied."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # SET values by task
    transitions: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)  # to activate
    stations: set[str] = field(default_factory=set)  # to refresh
    uploads: list[TaskRef] = field(default_factory=list)


@dataclass(frozen=True)
class TaskRef:
    """What the upload hook needs of a task (the gateway asks its robot to upload)."""

    id: str
    robot_id: str | None


@dataclass(frozen=True)
class Callback:
    """One callback as the batch handler receives it: verified claims and the body."""

    claims: TokenClaims
    body: StartCallback | FinishCallback
    principal: Principal | None = None  # resolved already (a person's token)


def _owned(
    tasks: dict[str, TaskState], principal: Principal, task_id: str, device_id: str
) -> TaskState:
    if principal.device_id is not None and principal.device_id != device_id:
        raise Forbidden("device_id: does not match the caller's token")
    if principal.kind == "task" and principal.task_id != task_id:
        raise Forbidden("this token is for another task")
    state = tasks.get(task_id)
    if state is None or not principal.sees_factory(state.factory_id):
        raise NotFound(f"task '{task_id}' not found")
    if state.owner_robot_id is None or state.device_id != device_id:
        raise Forbidden(f"task '{task_id}' is not assigned to device '{device_id}'")
    return state


def _facts(data: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(data.get(k) for k in keys)


def _duplicate(
    state: TaskState,
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
            {"current_status": state.status.value, f"recorded_{at_key}": recorded.get(at_key)},
        )
    return CallbackAck(task_id=state.id, status=state.status, duplicate=True)


def _write(
    out: Writes,
    state: TaskState,
    values: dict[str, Any],
    target: TaskStatus | None,
    actor: str,
    cause: str,
) -> None:
    """Change the task (moving it to `target`, when there is one). The rule is checked
    first: a refused callback changes nothing."""
    now = utcnow()
    if target is not None and target != state.status:
        task_states.check(state.id, state.status, target)
        values = {
            **task_states.changed_columns(target, state.started_at, now),
            **values,
            "status": target,
        }
        out.transitions.append(
            {
                "id": new_id(),
                **task_states.transition_row(state.id, state.status, target, actor, cause, now),
            }
        )
    if state.robot_id is None:
        values["robot_id"] = state.owner_robot_id
    state.version += 1
    values = {**values, "version": state.version, "updated_at": now}
    for key, value in values.items():
        if hasattr(state, key):
            setattr(state, key, value)
    out.tasks.setdefault(state.id, {}).update(values)
    out.outbox.append(outbox_row("task", state.id, state.version))


def record_start(
    out: Writes, tasks: dict[str, TaskState], principal: Principal, body: StartCallback
) -> CallbackAck:
    state = _owned(tasks, principal, body.task_id, body.device_id)
    stored = body.model_dump(mode="json")
    repeat = _duplicate(state, state.start_callback, stored, START_FACTS, "start", "started_at")
    if repeat is not None:
        return repeat
    if state.status == TaskStatus.cancelled:
        raise Conflict("task is cancelled", {"current_status": state.status.value})
    if state.status in (TaskStatus.pending, TaskStatus.ready):
        values = {"start_callback": stored, "started_at": body.started_at}
        _write(out, state, values, TaskStatus.in_progress, principal.actor, "start callback")
        out.stations.add(state.workstation_id)
    else:
        # The finish or the landed recording came first: keep the facts, stay put.
        _write(out, state, {"start_callback": stored}, None, principal.actor, "")
    return CallbackAck(task_id=state.id, status=state.status, duplicate=False)


def record_finish(
    out: Writes, tasks: dict[str, TaskState], principal: Principal, body: FinishCallback
) -> CallbackAck:
    state = _owned(tasks, principal, body.task_id, body.device_id)
    stored = body.model_dump(mode="json")
    repeat = _duplicate(state, state.finish_callback, stored, FINISH_FACTS, "finish", "finished_at")
    if repeat is not None:
        return repeat
    values: dict[str, Any] = {"finish_callback": stored, "finished_at": body.finished_at}
    if state.started_at is None:
        values["started_at"] = body.started_at
    if state.status not in RECORDING:
        _write(out, state, values, None, principal.actor, "")  # late: record the facts
        return CallbackAck(task_id=state.id, status=state.status, duplicate=False)
    cause = (
        "finish callback"
        if state.status == TaskStatus.in_progress
        else "finish callback (start callback never arrived)"
    )
    _write(out, state, values, TaskStatus.uploading, principal.actor, cause)
    if state.batch_status == BatchStatus.pending:
        out.batches.add(state.batch_id)  # the batch becomes active with its first finish
    out.stations.add(state.workstation_id)
    out.uploads.append(TaskRef(state.id, state.robot_id or state.owner_robot_id))
    return CallbackAck(task_id=state.id, status=TaskStatus.uploading, duplicate=False)


def _principals(conn: Connection, callbacks: list[Callback]) -> list[Principal | DomainError]:
    """Each callback's principal (a robot's), the devices' looked up in one SELECT."""
    devices = [c.claims for c in callbacks if c.principal is None and c.claims.kind == "device"]
    rows = device_rows(conn, devices) if devices else {}
    out: list[Principal | DomainError] = []
    for c in callbacks:
        try:
            if c.principal is not None:
                principal = c.principal
            elif c.claims.kind == "device":
                principal = device_principal(check_device(rows.get(c.claims.sub), c.claims))
            else:
                principal = token_principal(c.claims)
            principal.require(Role.robot)  # people, even admins, cannot play robot
            out.append(principal)
        except DomainError as exc:
            out.append(exc)
    return out


def _load(conn: Connection, task_ids: list[str]) -> dict[str, TaskState]:
    """The batch's tasks, locked with their workstations (see the lock order above)."""
    ids = sorted(set(task_ids))
    conn.execute(_LOCK_STATIONS, {"ids": ids}).all()
    return {row.id: TaskState(**row._asdict()) for row in conn.execute(_OWNED, {"ids": ids})}


def record_batch(ctx: BatchContext, callbacks: list[Callback]) -> list[Any]:
    """The group commit's handler: every callback of the batch, in arrival order."""
    conn = ctx.conn
    principals = _principals(conn, callbacks)
    tasks = _load(conn, [c.body.task_id for c in callbacks])
    out = Writes()
    outcomes: list[Any] = []
    for callback, principal in zip(callbacks, principals, strict=True):
        if isinstance(principal, DomainError):
            outcomes.append(principal)
            continue
        record = record_start if isinstance(callback.body, StartCallback) else record_finish
        try:
            outcomes.append(record(out, tasks, principal, callback.body))  # type: ignore[arg-type]
        except DomainError as exc:
            outcomes.append(exc)
    _apply(conn, out)
    for task in out.uploads:  # the gateway asks the robot only for a committed finish
        ctx.after_commit.append(partial(task_events.upload_requested, task))
    return outcomes


CALLBACKS = Handler("callbacks", rank=0, write=record_batch)  # tasks locked before robots


def _apply(conn: Connection, out: Writes) -> None:
    now = utcnow()
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for task_id, values in out.tasks.items():
        by_shape.setdefault(tuple(sorted(values)), []).append({**values, "b_task_id": task_id})
    for rows in by_shape.values():
        conn.execute(_UPDATE_TASK, rows)
    if out.transitions:
        conn.execute(_INSERT_TRANSITION, out.transitions)
    if out.batches:
        for batch in conn.execute(_PENDING_BATCH, {"ids": sorted(out.batches)}).all():
            conn.execute(_ACTIVATE_BATCH, {"b_batch_id": batch.id, "activated_at": now})
            out.outbox.append(outbox_row("batch", batch.id, batch.version + 1))
    if out.outbox:
        conn.execute(OUTBOX_INSERT, out.outbox)
    if out.stations:
        conn.execute(_REFRESH_STATIONS, {"ids": sorted(out.stations)})
