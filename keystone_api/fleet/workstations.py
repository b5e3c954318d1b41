"""Workstations: one current robot + collector pairing (with history), presence, breaks."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role, User
from keystone_api.common.crud import get_or_404
from keystone_api.common.refs import live_ref
from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, Forbidden, NotFound
from keystone_api.fleet.models import (
    DataCollector,
    Robot,
    Workstation,
    WorkstationPairing,
    WorkstationStatus,
)

log = logging.getLogger("keystone.fleet")


def set_pairing(
    session: Session, ws: Workstation, robot_id: str | None, collector_id: str | None, actor: str
) -> Workstation:
    """Make (robot, collector) the workstation's current pair and keep the history."""
    if robot_id is not None:
        robot = live_ref(session, Robot, robot_id, "robot")
        if robot.factory_id != ws.factory_id:
            raise NotFound(f"robot '{robot_id}' not found")
        elsewhere = session.execute(
            select(Workstation.name).where(
                Workstation.robot_id == robot_id, Workstation.id != ws.id
            )
        ).scalar()
        if elsewhere is not None:
            raise Conflict(f"robot '{robot_id}' is paired at workstation '{elsewhere}'")
    if collector_id is not None:
        collector = live_ref(session, DataCollector, collector_id, "data collector")
        if collector.factory_id != ws.factory_id:
            raise NotFound(f"data collector '{collector_id}' not found")
    if (ws.robot_id, ws.data_collector_id) == (robot_id, collector_id):
        return ws
    now = utcnow()
    current = session.execute(
        select(WorkstationPairing).where(
            WorkstationPairing.workstation_id == ws.id, WorkstationPairing.ended_at.is_(None)
        )
    ).scalar_one_or_none()
    if current is not None:
        current.ended_at = now
    ws.robot_id, ws.data_collector_id = robot_id, collector_id
    session.flush()
    if robot_id is not None or collector_id is not None:
        session.add(
            WorkstationPairing(
                workstation_id=ws.id,
                robot_id=robot_id,
                data_collector_id=collector_id,
                started_at=now,
                changed_by=actor,
            )
        )
    if collector_id is None:
        ws.status = WorkstationStatus.offline
    return ws


# A collector at work: mid-task, or on a break from it. Nobody else takes their station.
BUSY = (WorkstationStatus.recording, WorkstationStatus.on_break)


def collector_login(session: Session, user: User, workstation_id: str) -> Workstation:
    """A collector logs in at a workstation: they become its paired collector. Not while
    another collector works there (that would lock them out mid-recording): staff force it
    by logging that collector out first (POST /api/v1/workstations/{id}/logout, recorded)."""
    if user.role != Role.collector:
        raise Forbidden("only data collectors log in at a workstation")
    collector = session.execute(
        select(DataCollector).where(DataCollector.user_id == user.id)
    ).scalar_one_or_none()
    if collector is None:
        raise Forbidden("this account is not linked to a data collector")
    ws = get_or_404(session, Workstation, workstation_id, "workstation", lock=True)
    if ws.factory_id != collector.factory_id or ws.archived_at is not None:
        raise NotFound(f"workstation '{workstation_id}' not found")
    if ws.status in BUSY and ws.data_collector_id not in (None, collector.id):
        current = session.get(DataCollector, ws.data_collector_id)
        name = current.name if current is not None else ws.data_collector_id
        raise Conflict(
            f"workstation '{ws.name}' is in use: collector '{name}' is {ws.status.value} "
            "there; an operator or admin can log them out of it "
            f"(POST /api/v1/workstations/{ws.id}/logout) to let you in",
            {
                "workstation_id": ws.id,
                "status": ws.status.value,
                "data_collector_id": ws.data_collector_id,
                "data_collector": name,
            },
        )
    # Leaving another workstation: a collector is paired at one station at a time.
    for other in session.execute(
        select(Workstation).where(
            Workstation.data_collector_id == collector.id, Workstation.id != ws.id
        )
    ).scalars():
        set_pairing(session, other, other.robot_id, None, f"user:{user.username}")
    set_pairing(session, ws, ws.robot_id, collector.id, f"user:{user.username}")
    if ws.status in (WorkstationStatus.offline, WorkstationStatus.on_break):
        ws.status = WorkstationStatus.idle
        ws.break_started_at = None
    return ws


def start_break(ws: Workstation) -> Workstation:
    if ws.data_collector_id is None:
        raise Conflict("no collector is logged in at this workstation")
    if ws.status != WorkstationStatus.on_break:
        ws.status = WorkstationStatus.on_break
        ws.break_started_at = utcnow()
    return ws


def end_break(ws: Workstation) -> Workstation:
    if ws.status != WorkstationStatus.on_break:
        raise Conflict(f"workstation is not on a break (status {ws.status.value})")
    ws.status = WorkstationStatus.idle
    ws.break_started_at = None
    return ws


def logout(session: Session, ws: Workstation, actor: str, *, by_staff: bool = False) -> Workstation:
    """The collector leaves, or staff log them out: the only way past a busy station. The
    pairing history names who did it (the new row's changed_by, the robot staying paired),
    and the log says whom they released from what."""
    if by_staff and ws.status in BUSY and ws.data_collector_id is not None:
        log.warning(
            "workstation %s (%s) released by %s: collector %s was %s there",
            ws.id,
            ws.name,
            actor,
            ws.data_collector_id,
            ws.status.value,
        )
    return set_pairing(session, ws, ws.robot_id, None, actor)
