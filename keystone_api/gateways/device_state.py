"""The robots' side of the database: who may open a socket, and the last known connection,
recorder and transfer state (kept across server restarts; it feeds availability)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keystone_api.accounts.tokens import decode
from keystone_api.db.base import utcnow
from keystone_api.errors import DomainError, NotFound, Unauthorized
from keystone_api.fleet.models import Robot
from keystone_api.gateways.connections import RobotRef
from keystone_api.gateways.endpoints import transfer_key_matches
from keystone_api.settings import Settings

# How much of the daemon's `uploads` list is kept in robots.transfer_status.
MAX_STATUS_UPLOADS = 50


def _live_robot(session: Session, device_id: str, refusal: DomainError) -> Robot:
    robot = session.execute(select(Robot).where(Robot.device_id == device_id)).scalar_one_or_none()
    if robot is None or robot.archived_at is not None:
        raise refusal
    return robot


def _ref(robot: Robot) -> RobotRef:
    return RobotRef(robot.id, robot.device_id, robot.factory_id)


def transfer_device(session: Session, settings: Settings, device_id: str, key: str) -> RobotRef:
    """The transfer daemon sends no header: its URL's key segment is its credential
    (endpoints.transfer_key), current only for the robot's current token version. An
    unknown device is refused like a wrong key: anonymous callers learn nothing."""
    refusal = Unauthorized(f"this transfer URL is not device '{device_id}''s (or was rotated)")
    robot = _live_robot(session, device_id, refusal)
    if not transfer_key_matches(settings, robot.id, robot.token_version, key):
        raise refusal
    return _ref(robot)


def recorder_device(
    session: Session, settings: Settings, device_id: str, authorization: str | None
) -> tuple[RobotRef, bool]:
    """The recorder's Bearer must be this device's current token: (robot, authenticated).
    Only in dev mode may a recorder connect without one (never to displace one that did)."""
    if not authorization:
        if settings.dev_mode:
            return _ref(
                _live_robot(session, device_id, NotFound(f"device '{device_id}' not found"))
            ), False
        raise Unauthorized("missing bearer token (the device token from registration)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <device token>'")
    claims = decode(settings, token.strip())
    refusal = Unauthorized(f"this token is not device '{device_id}''s")
    robot = _live_robot(session, device_id, refusal)
    if claims.kind != "device" or claims.sub != robot.id:
        raise refusal
    if claims.token_version != robot.token_version:
        raise Unauthorized("device token revoked (rotated)")
    return _ref(robot), True


def set_connected(session: Session, robot_id: str, kind: str, connected: bool) -> None:
    column = Robot.recorder_connected if kind == "recorder" else Robot.transfer_connected
    session.execute(
        update(Robot)
        .where(Robot.id == robot_id)
        .values({column: connected, Robot.last_seen_at: utcnow()})
    )


def clear_connections(session: Session) -> None:
    """At startup nothing is connected to this process yet, whatever a crash left behind."""
    session.execute(
        update(Robot)
        .where((Robot.recorder_connected.is_(True)) | (Robot.transfer_connected.is_(True)))
        .values(recorder_connected=False, transfer_connected=False)
    )


def record_recorder_state(
    session: Session, robot_id: str, state: str, task_id: str | None, at: float
) -> None:
    session.execute(
        update(Robot)
        .where(Robot.id == robot_id)
        .values(
            recorder_state=state,
            recorder_task_id=task_id,
            recorder_state_at=datetime.fromtimestamp(at, UTC),
            last_seen_at=utcnow(),
        )
    )


def record_transfer_status(session: Session, robot_id: str, status: dict[str, Any]) -> None:
    kept = dict(status)
    uploads = kept.get("uploads")
    if isinstance(uploads, list) and len(uploads) > MAX_STATUS_UPLOADS:
        kept["uploads"] = uploads[:MAX_STATUS_UPLOADS]
        kept["uploads_truncated"] = len(uploads)
    now = utcnow()
    session.execute(
        update(Robot)
        .where(Robot.id == robot_id)
        .values(transfer_status=kept, transfer_status_at=now, last_seen_at=now)
    )
