"""What the cloud received from each factory: episodes, bytes, last sync, and the lag between
approval at the edge and arrival here (the figure that says a factory's sync is behind)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.cloud.models import CloudEpisode
from keystone_api.db.base import utcnow
from keystone_api.errors import NotFound

LAG_SAMPLE = 1000  # the latest arrivals the lag is measured over: bounded, and current
DAYS = 14
E = CloudEpisode
BYTES = func.coalesce(func.sum(E.mcap_size_bytes + E.sidecar_size_bytes), 0)


def _summaries(session: Session, *where: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            E.factory_id,
            func.max(E.factory_name),
            func.count(),
            BYTES,
            func.min(E.approved_at),
            func.max(E.approved_at),
            func.max(E.synced_at),
        )
        .where(*where)
        .group_by(E.factory_id)
        .order_by(E.factory_id)
    ).all()
    return [
        {
            "factory_id": r[0],
            "factory_name": r[1] or "",
            "episodes": int(r[2]),
            "bytes": int(r[3]),
            # min() and max() keep the column's type: aware UTC datetimes, on every dialect.
            "first_approved_at": r[4],
            "last_approved_at": r[5],
            "last_synced_at": r[6],
        }
        for r in rows
    ]


def factories(session: Session, principal: Principal) -> list[dict[str, Any]]:
    if principal.factory_id is not None:
        return _summaries(session, E.factory_id == principal.factory_id)
    return _summaries(session)


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _lag(session: Session, factory_id: str) -> dict[str, Any]:
    rows = session.execute(
        select(E.approved_at, E.synced_at)
        .where(E.factory_id == factory_id)
        .order_by(E.synced_at.desc())
        .limit(LAG_SAMPLE)
    ).all()
    lags = [max((synced - approved).total_seconds(), 0.0) for approved, synced in rows]
    return {
        "sample": len(lags),
        "median_s": _percentile(lags, 0.5),
        "p95_s": _percentile(lags, 0.95),
        "max_s": max(lags) if lags else None,
    }


def _counts(session: Session, factory_id: str, column: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        select(column, func.count())
        .where(E.factory_id == factory_id)
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(50)
    ).all()
    return [{"name": name or "", "episodes": int(n)} for name, n in rows]


def factory(session: Session, principal: Principal, factory_id: str) -> dict[str, Any]:
    if not principal.sees_factory(factory_id):
        raise NotFound(f"factory '{factory_id}' not found")
    found = _summaries(session, E.factory_id == factory_id)
    if not found:
        raise NotFound(f"factory '{factory_id}' not found (nothing received from it)")
    now = utcnow()
    mine = E.factory_id == factory_id
    day = func.date(E.synced_at)
    per_day = session.execute(
        select(day, func.count(), BYTES)
        .where(mine, E.synced_at >= now - timedelta(days=DAYS))
        .group_by(day)
        .order_by(day)
    ).all()
    recent = session.execute(
        select(func.count(), BYTES).where(mine, E.synced_at >= now - timedelta(hours=24))
    ).one()
    return found[0] | {
        "last_24h": {"day": "last 24h", "episodes": int(recent[0]), "bytes": int(recent[1])},
        "lag": _lag(session, factory_id),
        "days": [{"day": str(d), "episodes": int(n), "bytes": int(b)} for d, n, b in per_day],
        "scenes": _counts(session, factory_id, E.scene),
        "robot_types": _counts(session, factory_id, E.robot_type),
    }
