"""Collection progress per order, and quality per workstation (for the dashboard's tables
and the floor display)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import DataCollector, Robot, Workstation
from keystone_api.orders.models import Order
from keystone_api.stats import aggregates as agg
from keystone_api.stats import rates
from keystone_api.stats.schemas import (
    OrderProgressItem,
    OrdersProgressOut,
    OrdersQuery,
    PagedStatsQuery,
    Period,
    WorkstationQuality,
    WorkstationsOut,
)
from keystone_api.stats.scope import Scope, robot_online

APPROVED = (EpisodeStatus.auto_approved, EpisodeStatus.inspector_approved)


def orders_progress(session: Session, scope: Scope, q: OrdersQuery) -> OrdersProgressOut:
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id)
    if scope.blocked:
        stmt = stmt.where(false())
    if scope.factory_id is not None:
        stmt = stmt.where(Order.factory_id == scope.factory_id)
    if q.status is not None:
        stmt = stmt.where(Order.status == q.status)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    orders = list(session.execute(stmt.limit(q.limit).offset(q.offset)).scalars())
    counts: dict[str, dict[str, int]] = {o.id: {} for o in orders}
    if orders:
        # (order_id, status) is the ix_episodes_order_status index: one range per order.
        rows = session.execute(
            select(Episode.order_id, Episode.status, func.count())
            .where(
                Episode.order_id.in_(list(counts)),
                Episode.recalled.is_(False),
                *scope.episodes(),
            )
            .group_by(Episode.order_id, Episode.status)
        )
        for order_id, status, n in rows:
            counts[order_id][getattr(status, "value", str(status))] = int(n)
    return OrdersProgressOut(
        items=[_progress(o, counts[o.id]) for o in orders],
        total=int(total),
        limit=q.limit,
        offset=q.offset,
    )


def _progress(order: Order, by_status: dict[str, int]) -> OrderProgressItem:
    approved = sum(by_status.get(s.value, 0) for s in APPROVED)
    target = order.target_episodes
    return OrderProgressItem(
        order_id=order.id,
        name=order.name,
        status=order.status,
        priority=order.priority,
        deadline=order.deadline,
        target_episodes=target,
        collected=sum(by_status.values()),
        approved=approved,
        rejected=by_status.get("rejected", 0),
        needs_inspection=by_status.get("needs_inspection", 0),
        pending_qa=by_status.get("pending_qa", 0),
        remaining=max(target - approved, 0),
        percent_complete=order_percent(approved, target),
    )


def order_percent(approved: int, target: int) -> float:
    """rates.DEFINITIONS["percent_complete"] of one order."""
    value = rates.value("percent_complete", {"approved": approved, "target_episodes": target})
    return value if value is not None else 100.0


def workstation_quality(session: Session, scope: Scope, q: PagedStatsQuery) -> WorkstationsOut:
    """Every station in scope (idle ones too, as zeros) with its period's QA outcome."""
    stations = (
        select(Workstation, Robot, DataCollector, robot_online(utcnow()).label("online"))
        .outerjoin(Robot, Robot.id == Workstation.robot_id)
        .outerjoin(DataCollector, DataCollector.id == Workstation.data_collector_id)
        .where(*scope.workstations())
        .order_by(Workstation.name, Workstation.id)
    )
    total = session.execute(
        select(func.count(Workstation.id)).where(*scope.workstations())
    ).scalar_one()
    page = session.execute(stations.limit(q.limit).offset(q.offset)).all()
    ids = [row.Workstation.id for row in page]
    stats: dict[str, dict[str, Any]] = {}
    if ids:
        rows = session.execute(
            agg.episode_select(Episode.workstation_id)
            .where(Episode.workstation_id.in_(ids), *scope.episodes(q.period))
            .group_by(Episode.workstation_id)
        )
        stats = {row.workstation_id: agg.counts(row) for row in rows}
    empty = agg.counts(agg.Sums())
    items = [
        WorkstationQuality(
            workstation_id=row.Workstation.id,
            name=row.Workstation.name,
            status=row.Workstation.status.value,
            robot_id=row.Robot.id if row.Robot else None,
            robot_name=(row.Robot.name or row.Robot.device_id) if row.Robot else None,
            robot_online=bool(row.online) if row.Robot else False,
            data_collector_id=row.DataCollector.id if row.DataCollector else None,
            collector_name=row.DataCollector.name if row.DataCollector else None,
            **stats.get(row.Workstation.id, empty),
        )
        for row in page
    ]
    start, end = q.period
    return WorkstationsOut(
        period=Period(start=start, end=end),
        items=items,
        total=int(total),
        limit=q.limit,
        offset=q.offset,
    )
