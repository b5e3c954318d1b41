"""The lifecycle's writer for the callbacks' group commit: SQLAlchemy Core statements.

Callbacks are the API's hottest path (every recording of every robot, twice), so a batch
of them is one transaction: `load` locks the batch's tasks in one statement, the callers
decide each callback with lifecycle's pure rules on the snapshots (a later decision of the
batch starts from the snapshot an earlier one left), and `apply` writes what they decided
with a few statements for the whole batch. Where the ORM writer (lifecycle_orm) lets the
mapper bump a task's version and queue its outbox row, this one writes both itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
from sqlalchemy.sql.elements import ColumnElement

from keystone_api.db.base import utcnow
from keystone_api.fleet.models import Robot, Workstation, WorkstationStatus
from keystone_api.ids import new_id
from keystone_api.orders import task_states
from keystone_api.orders.followers import STATION_FOLLOWS
from keystone_api.orders.lifecycle import Change, TaskSnapshot
from keystone_api.orders.models import Batch, BatchStatus, Task, TaskTransition
from keystone_api.sync.models import OUTBOX_INSERT, REPLICATED_TABLES, outbox_row

# The kinds the mapper event names these rows by (sync/models._record_change) where the ORM
# writes them: this writer's outbox rows must be the same.
_TASK_KIND = REPLICATED_TABLES[Task.__tablename__]
_BATCH_KIND = REPLICATED_TABLES[Batch.__tablename__]


def station_busy(station: Any) -> tuple[ColumnElement[bool], ...]:
    """followers.keeps_station_recording as SQL: the station's tasks that keep it
    `recording` (`station`: its id, or the Workstation.id column to correlate)."""
    return (
        Task.workstation_id == station,
        Task.assigned_at.is_not(None),
        Task.status.in_(task_states.BEFORE_FINISH),
    )


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
_OWNER = func.coalesce(Task.robot_id, _STATION_ROBOT)  # lifecycle.holder, as SQL
_SNAPSHOTS = (
    select(
        Task.id,
        Task.status,
        Task.version,
        Task.robot_id,
        Task.batch_id,
        Task.workstation_id,
        Task.assigned_at,
        Task.started_at,
        Task.finished_at,
        Task.start_callback,
        Task.finish_callback,
        Task.recorder_offline_at,
        _OWNER.label("owner_robot_id"),
        select(Batch.status)
        .where(Batch.id == Task.batch_id)
        .scalar_subquery()
        .label("batch_status"),
        select(Workstation.factory_id)
        .where(Workstation.id == Task.workstation_id)
        .scalar_subquery()
        .label("factory_id"),
        select(Robot.device_id).where(Robot.id == _OWNER).scalar_subquery().label("device_id"),
    )
    .where(Task.id.in_(bindparam("ids", expanding=True)))
    .order_by(Task.id)
    .with_for_update()
)
_INSERT_TRANSITION = insert(TaskTransition)
# SET columns come from each execution's parameters (they differ by what was decided).
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
# followers.station_status for many stations in one statement, after the batch's own task
# writes (which its subquery sees; under READ COMMITTED the subquery reads without locking).
_REFRESH_STATIONS = (
    update(Workstation)
    .where(
        Workstation.id.in_(bindparam("ids", expanding=True)),
        Workstation.status.in_(STATION_FOLLOWS),
    )
    .values(
        status=case(
            (
                exists().where(*station_busy(Workstation.id)),
                literal(WorkstationStatus.recording, Workstation.status.type),
            ),
            else_=literal(WorkstationStatus.idle, Workstation.status.type),
        )
    )
)


@dataclass(frozen=True)
class TaskRef:
    """What the upload hook needs of a task (the gateway asks its robot to upload)."""

    id: str
    robot_id: str | None


@dataclass
class Writes:
    """What a batch's decisions imply, gathered until all were made, then written once."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # SET values by task
    transitions: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)  # to activate
    stations: set[str] = field(default_factory=set)  # to refresh
    uploads: list[TaskRef] = field(default_factory=list)

    def add(self, change: Change, now: datetime) -> None:
        if not change.values:
            return
        task = change.task
        values = {**change.values, "version": task.version, "updated_at": now}
        self.tasks.setdefault(task.id, {}).update(values)
        if change.transition is not None:
            self.transitions.append({"id": new_id(), **change.transition})
        self.outbox.append(outbox_row(_TASK_KIND, task.id, task.version))
        # Callbacks never end a task, so a batch only ever has to be activated here.
        assert change.batch != "settle", "the group commit does not settle batches"
        if change.batch == "activate":
            self.batches.add(task.batch_id)
        if change.station:
            self.stations.add(task.workstation_id)
        if change.upload:
            self.uploads.append(TaskRef(task.id, task.robot_id or task.owner_robot_id))


def load(conn: Connection, task_ids: list[str]) -> dict[str, TaskSnapshot]:
    """The tasks, locked with their workstations (see the lock order above)."""
    ids = sorted(set(task_ids))
    conn.execute(_LOCK_STATIONS, {"ids": ids}).all()
    return {row.id: TaskSnapshot(**row._asdict()) for row in conn.execute(_SNAPSHOTS, {"ids": ids})}


def apply(conn: Connection, out: Writes) -> None:
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
            out.outbox.append(outbox_row(_BATCH_KIND, batch.id, batch.version + 1))
    if out.outbox:
        conn.execute(OUTBOX_INSERT, out.outbox)
    if out.stations:
        conn.execute(_REFRESH_STATIONS, {"ids": sorted(out.stations)})
