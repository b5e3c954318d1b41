"""Task scheduler: turn an order's shortfall into tasks, in batches per workstation.

Eligible workstations are the order's factory's live workstations whose paired robot is of
the subscene's robot type and not in maintenance. Tasks are spread round-robin, and each
workstation's share is cut into batches of at most `batch_size`.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import Robot, Workstation
from keystone_api.orders.models import Batch, BatchStatus, Order, Task, TaskStatus
from keystone_api.orders.task_states import OPEN
from keystone_api.registry.models import Subscene

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


def _open_batch(session: Session, order: Order, ws_id: str, batch_size: int) -> Batch:
    """The workstation's open batch of this order with room, or a new one."""
    candidates = (
        session.execute(
            select(Batch)
            .where(
                Batch.order_id == order.id,
                Batch.workstation_id == ws_id,
                Batch.status.in_((BatchStatus.pending, BatchStatus.active)),
            )
            .order_by(Batch.created_at.desc())
        )
        .scalars()
        .all()
    )
    for batch in candidates:
        size = session.execute(
            select(func.count()).select_from(Task).where(Task.batch_id == batch.id)
        ).scalar_one()
        if size < batch_size:
            return batch
    batch = Batch(order_id=order.id, workstation_id=ws_id)
    session.add(batch)
    session.flush()
    return batch


def add_tasks(
    session: Session,
    order: Order,
    count: int,
    workstations: list[Workstation],
    batch_size: int = DEFAULT_BATCH_SIZE,
    replaces: str | None = None,
    prefer_workstation: str | None = None,
) -> list[Task]:
    if count <= 0 or not workstations:
        return []
    ordered = sorted(workstations, key=lambda w: w.id != prefer_workstation)
    sequence = session.execute(
        select(func.coalesce(func.max(Task.sequence), 0)).where(Task.order_id == order.id)
    ).scalar_one()
    created: list[Task] = []
    for i in range(count):
        ws = ordered[i % len(ordered)]
        batch = _open_batch(session, order, ws.id, batch_size)
        sequence += 1
        task = Task(
            order_id=order.id,
            batch_id=batch.id,
            workstation_id=ws.id,
            sop_id=order.sop_id,
            sequence=sequence,
            replaces_task_id=replaces,
            status=TaskStatus.pending,
        )
        session.add(task)
        session.flush()
        created.append(task)
    return created


def top_up(
    session: Session,
    order: Order,
    *,
    replaces: str | None = None,
    prefer_workstation: str | None = None,
    only: list[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[Task]:
    """Create tasks for the order's shortfall (target minus what may still reach it)."""
    shortfall = order.target_episodes - potential_episodes(session, order.id)
    if shortfall <= 0:
        return []
    return add_tasks(
        session,
        order,
        shortfall,
        eligible_workstations(session, order, only),
        batch_size=batch_size,
        replaces=replaces,
        prefer_workstation=prefer_workstation,
    )
