"""Task scheduler: turn an order's shortfall into tasks, in batches per workstation.

Eligible workstations are the order's factory's live workstations whose paired robot is of
the subscene's robot type and not in maintenance. Tasks are spread round-robin, and each
workstation's share is cut into batches of at most `batch_size`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import Robot, Workstation
from keystone_api.ids import new_id
from keystone_api.orders.models import Batch, BatchStatus, Order, Task, TaskStatus
from keystone_api.orders.task_states import OPEN
from keystone_api.registry.models import Subscene
from keystone_api.sync.models import OUTBOX_INSERT, outbox_row

DEFAULT_BATCH_SIZE = 20
# Episodes that still count towards an order's target (approved or still being decided).
LIVE_EPISODE = (
    EpisodeStatus.pending_qa,
    EpisodeStatus.needs_inspection,
    EpisodeStatus.auto_approved,
    EpisodeStatus.inspector_approved,
)


def eligible_workstations(
    session: Session, order: Order, only: list[str] | None = None
) -> list[Workstation]:
    robot_type_id = session.execute(
        select(Subscene.robot_type_id).where(Subscene.id == order.subscene_id)
    ).scalar_one()
    stmt = (
        select(Workstation)
        .join(Robot, Workstation.robot_id == Robot.id)
        .where(
            Workstation.factory_id == order.factory_id,
            Workstation.archived_at.is_(None),
            Robot.robot_type_id == robot_type_id,
            Robot.maintenance.is_(False),
            Robot.archived_at.is_(None),
        )
        .order_by(Workstation.name)
    )
    if only:
        stmt = stmt.where(Workstation.id.in_(only))
    return list(session.execute(stmt).scalars())


def potential_episodes(session: Session, order_id: str) -> int:
    """Tasks still open plus live, unrecalled episodes: what may still reach the target."""
    open_tasks = session.execute(
        select(func.count())
        .select_from(Task)
        .where(Task.order_id == order_id, Task.status.in_(OPEN))
    ).scalar_one()
    live = session.execute(
        select(func.count())
        .select_from(Episode)
        .where(
            Episode.order_id == order_id,
            Episode.status.in_(LIVE_EPISODE),
            Episode.recalled.is_(False),
        )
    ).scalar_one()
    return int(open_tasks) + int(live)


def _open_batches(
    session: Session, order: Order, workstation_ids: list[str]
) -> dict[str, list[list[Any]]]:
    """Each workstation's open batches of this order, newest first, as [batch id, tasks]."""
    rows = session.execute(
        select(Batch.id, Batch.workstation_id, func.count(Task.id))
        .outerjoin(Task, Task.batch_id == Batch.id)
        .where(
            Batch.order_id == order.id,
            Batch.workstation_id.in_(workstation_ids),
            Batch.status.in_((BatchStatus.pending, BatchStatus.active)),
        )
        .group_by(Batch.id, Batch.workstation_id, Batch.created_at)
        .order_by(Batch.created_at.desc(), Batch.id.desc())
    ).all()
    batches: dict[str, list[list[Any]]] = {ws_id: [] for ws_id in workstation_ids}
    for batch_id, ws_id, size in rows:
        batches[ws_id].append([batch_id, int(size)])
    return batches


def _insert_replicated(session: Session, model: Any, kind: str, rows: list[dict[str, Any]]) -> None:
    """Rows inserted in one executemany, with their replica outbox entries in another (the
    mapper event that writes them does not fire for a bulk insert, and wrote one statement
    a row when it did)."""
    if rows:
        session.execute(insert(model), rows)
        session.execute(OUTBOX_INSERT, [outbox_row(kind, row["id"], 1) for row in rows])


def add_tasks(
    session: Session,
    order: Order,
    count: int,
    workstations: list[Workstation],
    batch_size: int = DEFAULT_BATCH_SIZE,
    replaces: str | None = None,
    prefer_workstation: str | None = None,
) -> int:
    """`count` tasks, round-robin over the workstations, each into the workstation's newest
    open batch with room (a new batch when none has). Planned in memory from one query and
    written in bulk, the tasks not read back: a query and a flush (and an outbox insert)
    per task took ~6 ms a task, so an order of 100,000 episodes held its request and its
    transaction for ten minutes."""
    if count <= 0 or not workstations:
        return 0
    ordered = sorted(workstations, key=lambda w: w.id != prefer_workstation)
    sequence = last_sequence(session, order)
    open_batches = _open_batches(session, order, [ws.id for ws in ordered])
    now = utcnow()
    new_batches: list[dict[str, Any]] = []
    new_tasks: list[dict[str, Any]] = []
    for i in range(count):
        ws = ordered[i % len(ordered)]
        candidates = open_batches[ws.id]
        slot = next((c for c in candidates if c[1] < batch_size), None)
        if slot is None:
            slot = [new_id(), 0]
            candidates.insert(0, slot)
            new_batches.append(
                {
                    "id": slot[0],
                    "order_id": order.id,
                    "workstation_id": ws.id,
                    "status": BatchStatus.pending,
                    "version": 1,
                    # Apart by a microsecond: batches are handed out oldest first.
                    "created_at": now + timedelta(microseconds=len(new_batches)),
                    "updated_at": now,
                }
            )
        slot[1] += 1
        sequence += 1
        new_tasks.append(
            {
                "id": new_id(),
                "order_id": order.id,
                "batch_id": slot[0],
                "workstation_id": ws.id,
                "sop_id": order.sop_id,
                "sequence": sequence,
                "replaces_task_id": replaces,
                "status": TaskStatus.pending,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    session.flush()  # what the rows point at (a new order) is written first
    _insert_replicated(session, Batch, "batch", new_batches)
    _insert_replicated(session, Task, "task", new_tasks)
    return count


def tasks_after(session: Session, order: Order, sequence: int) -> list[Task]:
    """The order's tasks numbered after `sequence` (those a top-up made), in order."""
    stmt = select(Task).where(Task.order_id == order.id, Task.sequence > sequence)
    return list(session.scalars(stmt.order_by(Task.sequence)))


def last_sequence(session: Session, order: Order) -> int:
    stmt = select(func.coalesce(func.max(Task.sequence), 0)).where(Task.order_id == order.id)
    return int(session.execute(stmt).scalar_one())


def top_up(
    session: Session,
    order: Order,
    *,
    replaces: str | None = None,
    prefer_workstation: str | None = None,
    only: list[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Create tasks for the order's shortfall (target minus what may still reach it); how
    many were made (`tasks_after` reads them back)."""
    shortfall = order.target_episodes - potential_episodes(session, order.id)
    if shortfall <= 0:
        return 0
    return add_tasks(
        session,
        order,
        shortfall,
        eligible_workstations(session, order, only),
        batch_size=batch_size,
        replaces=replaces,
        prefer_workstation=prefer_workstation,
    )
