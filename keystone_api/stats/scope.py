"""Who sees which numbers: the WHERE clauses every statistics query starts from.

- a principal bound to a factory sees only that factory (a display token included);
- a collector sees only its own numbers (episodes and tasks it recorded, its stations);
- the query's filters narrow further; they never widen what the principal may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, or_, select

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import HEARTBEAT_WINDOW_S, Robot, Workstation
from keystone_api.orders.models import Order, Task

# Filters that are columns of both episodes and tasks.
SHARED_COLUMNS = ("order_id", "workstation_id", "robot_id", "data_collector_id", "sop_id")
EPISODE_ONLY = ("scene_id", "subscene_id")


@dataclass(frozen=True)
class Scope:
    factory_id: str | None  # None: every factory (an organisation-wide principal)
    collector_id: str | None  # set for a collector: its own numbers only
    filters: dict[str, str]
    # Nothing to see: another factory asked for, or a collector account with no collector.
    blocked: bool = False

    @classmethod
    def of(cls, principal: Principal, query: Any) -> Scope:
        filters = {
            key: value
            for key in (*SHARED_COLUMNS, *EPISODE_ONLY)
            if (value := getattr(query, key, None)) is not None
        }
        wanted = getattr(query, "factory_id", None)
        bound = principal.factory_id
        collector = principal.data_collector_id if principal.role == Role.collector else None
        blocked = (wanted is not None and bound is not None and wanted != bound) or (
            principal.role == Role.collector and collector is None
        )
        return cls(bound or wanted, collector, filters, blocked)

    # -- episodes ---------------------------------------------------------------------

    def episodes(self, period: tuple[datetime, datetime] | None = None) -> list[Any]:
        where: list[Any] = [false()] if self.blocked else []
        if self.factory_id is not None:
            where.append(Episode.factory_id == self.factory_id)
        if self.collector_id is not None:
            where.append(Episode.data_collector_id == self.collector_id)
        for key, value in self.filters.items():
            where.append(getattr(Episode, key) == value)
        if period is not None:
            where += [Episode.landed_at >= period[0], Episode.landed_at < period[1]]
            if self.factory_id is None and "order_id" not in self.filters:
                # No (factory_id, landed_at) prefix to use: naming every status lets the
                # (status, landed_at) index serve the range instead of a full scan.
                where.append(Episode.status.in_(list(EpisodeStatus)))
        return where

    # -- tasks ------------------------------------------------------------------------

    def tasks(self, stmt: Any) -> Any:
        """Scope a SELECT over tasks (joins the station for the factory, the order for
        scene filters)."""
        if self.blocked:
            stmt = stmt.where(false())
        if self.factory_id is not None:
            stmt = stmt.join(Workstation, Workstation.id == Task.workstation_id).where(
                Workstation.factory_id == self.factory_id
            )
        if self.collector_id is not None:
            stmt = stmt.where(Task.data_collector_id == self.collector_id)
        for key in SHARED_COLUMNS:
            if key in self.filters:
                stmt = stmt.where(getattr(Task, key) == self.filters[key])
        scene = {k: v for k, v in self.filters.items() if k in EPISODE_ONLY}
        if scene:
            stmt = stmt.join(Order, Order.id == Task.order_id)
            for key, value in scene.items():
                stmt = stmt.where(getattr(Order, key) == value)
        return stmt

    # -- fleet ------------------------------------------------------------------------

    def workstations(self) -> list[Any]:
        where: list[Any] = [Workstation.archived_at.is_(None)]
        if self.blocked:
            where.append(false())
        if self.factory_id is not None:
            where.append(Workstation.factory_id == self.factory_id)
        if self.collector_id is not None:
            where.append(Workstation.data_collector_id == self.collector_id)
        if "workstation_id" in self.filters:
            where.append(Workstation.id == self.filters["workstation_id"])
        return where

    def robots(self) -> list[Any]:
        where: list[Any] = [Robot.archived_at.is_(None)]
        if self.blocked:
            where.append(false())
        if self.factory_id is not None:
            where.append(Robot.factory_id == self.factory_id)
        if self.collector_id is not None:
            # A collector's fleet: the robots at the stations it works at.
            where.append(Robot.id.in_(select(Workstation.robot_id).where(*self.workstations())))
        if "robot_id" in self.filters:
            where.append(Robot.id == self.filters["robot_id"])
        return where


def robot_online(now: datetime) -> Any:
    """Robot.online as SQL: a socket open, or heard from within the heartbeat window."""
    return or_(
        Robot.recorder_connected.is_(True),
        Robot.transfer_connected.is_(True),
        Robot.last_seen_at >= now - timedelta(seconds=HEARTBEAT_WINDOW_S),
    )
