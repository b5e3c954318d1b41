"""Robots' own heartbeats, written by group commit (db/group_commit.py): every robot reports
every few seconds, so the heartbeats that arrive together are checked against their robots
in one SELECT and stamped in one UPDATE."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update

from keystone_api.accounts.principal import check_device, device_rows
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.db.base import utcnow
from keystone_api.db.group_commit import BatchContext, Handler
from keystone_api.errors import DomainError
from keystone_api.fleet.models import Robot
from keystone_api.fleet.schemas import HeartbeatOut

_SEEN = (  # built once: hot path
    update(Robot)
    .where(Robot.id.in_(bindparam("ids", expanding=True)))
    .values(last_seen_at=bindparam("seen_at"))
)


def record_heartbeats(ctx: BatchContext, devices: list[TokenClaims]) -> list[Any]:
    """Each device token's robot, checked registered and not revoked, seen now."""
    rows = device_rows(ctx.conn, devices)
    now = utcnow()
    outcomes: list[Any] = []
    for claims in devices:
        try:
            row = check_device(rows.get(claims.sub), claims)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        available = Robot.is_available(True, row.maintenance, row.archived_at)  # just heard
        outcomes.append(HeartbeatOut(robot_id=row.id, last_seen_at=now, available=available))
    seen = sorted({o.robot_id for o in outcomes if isinstance(o, HeartbeatOut)})
    if seen:
        ctx.conn.execute(_SEEN, {"ids": seen, "seen_at": now})
    return outcomes


# Ranked after the callbacks: a batch locks tasks before robots.
HEARTBEATS = Handler("heartbeats", rank=1, write=record_heartbeats)
