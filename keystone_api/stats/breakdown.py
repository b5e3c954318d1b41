"""Breakdown: the period's episodes grouped by robot, collector, robot type, scene,
subscene, SOP, station, order, QA status or sync state; names are looked up for the page
of groups only, so the GROUP BY stays on indexed id columns of episodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, desc, func, literal, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.fleet.models import DataCollector, Robot, RobotType, Workstation
from keystone_api.orders.models import Order
from keystone_api.registry.models import Scene, Sop, Subscene
from keystone_api.stats import aggregates as agg
from keystone_api.stats.schemas import (
    BreakdownItem,
    BreakdownOut,
    BreakdownQuery,
    DimensionQuery,
    Period,
)
from keystone_api.stats.scope import Scope
from keystone_api.sync.models import EpisodeSync

NONE_KEY = "none"
# dimension -> (the grouped column, the model and column naming its ids)
DIMENSIONS: dict[str, tuple[Any, Any, Any]] = {
    "robot": (Episode.robot_id, Robot, Robot.name),
    "collector": (Episode.data_collector_id, DataCollector, DataCollector.name),
    "robot_type": (Robot.robot_type_id, RobotType, RobotType.name),
    "scene": (Episode.scene_id, Scene, Scene.name),
    "subscene": (Episode.subscene_id, Subscene, Subscene.name),
    "sop": (Episode.sop_id, Sop, Sop.name),
    "workstation": (Episode.workstation_id, Workstation, Workstation.name),
    "order": (Episode.order_id, Order, Order.name),
    "qa_status": (Episode.status, None, None),
    # Approved episodes have a sync row; the others are "not_queued".
    "sync_state": (
        type_coerce(func.coalesce(EpisodeSync.state, literal("not_queued")), String()),
        None,
        None,
    ),
}


def _grouped(scope: Scope, q: DimensionQuery) -> Any:
    column = DIMENSIONS[q.dimension][0]
    stmt = agg.episode_select(column.label("group_key")).where(*scope.episodes(q.period))
    if q.dimension == "robot_type":
        stmt = stmt.outerjoin(Robot, Robot.id == Episode.robot_id)
    return stmt.group_by(literal_column("group_key"))


def _names(session: Session, dimension: str, keys: list[str]) -> dict[str, str]:
    _, model, name = DIMENSIONS[dimension]
    if model is None or not keys:
        return {}
    columns = [model.id, name] + ([Robot.device_id] if model is Robot else [])
    names = {}
    for row in session.execute(select(*columns).where(model.id.in_(keys))):
        # A robot without a name is known by its device id.
        names[row[0]] = row[1] or (row[2] if len(row) > 2 else "") or row[0]
    return names


def _key(value: Any) -> str:
    return NONE_KEY if value is None else str(getattr(value, "value", value))


def _items(session: Session, dimension: str, rows: Sequence[Any]) -> list[BreakdownItem]:
    keys = [_key(r.group_key) for r in rows if r.group_key is not None]
    names = _names(session, dimension, keys)
    return [
        BreakdownItem(
            key=_key(r.group_key),
            name=names.get(_key(r.group_key), _key(r.group_key)),
            **agg.counts(r),
        )
        for r in rows
    ]


def breakdown(session: Session, scope: Scope, q: BreakdownQuery) -> BreakdownOut:
    grouped = _grouped(scope, q)
    total = session.execute(select(func.count()).select_from(grouped.subquery())).scalar_one()
    ordered = grouped.order_by(desc("episodes"), literal_column("group_key"))
    rows = session.execute(ordered.limit(q.limit).offset(q.offset)).all()
    start, end = q.period
    return BreakdownOut(
        dimension=q.dimension,
        period=Period(start=start, end=end),
        items=_items(session, q.dimension, rows),
        total=int(total),
        limit=q.limit,
        offset=q.offset,
    )


def breakdown_all(
    session: Session, scope: Scope, q: DimensionQuery, cap: int
) -> list[BreakdownItem]:
    """Every group (up to `cap`), for the CSV export."""
    rows = session.execute(
        _grouped(scope, q).order_by(desc("episodes"), literal_column("group_key")).limit(cap)
    ).all()
    return _items(session, q.dimension, rows)
