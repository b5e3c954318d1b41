"""Device registration (`POST /api/v1/devices/register`, axon-protocol.md section 1).

A robot registers once, by factory name and robot type name, and gets an Axon device id,
its endpoints and a device token. Registering again is safe: a plain repeat (the robot lost
its local state) is a new device and changes nothing about existing ones; a robot that
presents its current device token gets its own identity back, whatever else it sends.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.tokens import decode
from keystone_api.db.base import utcnow
from keystone_api.errors import NotFound, Unauthorized
from keystone_api.fleet.devices import device_token, next_device_id
from keystone_api.fleet.models import Robot, RobotType
from keystone_api.registry.models import Factory
from keystone_api.robots.endpoints import recorder_rpc_url, transfer_ws_url
from keystone_api.robots.schemas import Endpoints, RegisterIn, RegisterOut
from keystone_api.settings import Settings

log = logging.getLogger("keystone.robots.registration")


def _factory(session: Session, name: str) -> Factory:
    # Locked: device ids are allocated per factory by counting, so registrations of one
    # factory serialize here and never compute the same sequence number.
    factory = session.execute(
        select(Factory).where(Factory.name == name, Factory.archived_at.is_(None)).with_for_update()
    ).scalar_one_or_none()
    if factory is None:
        raise NotFound(f"factory '{name}' not found", {"field": "factory"})
    return factory


def _robot_type(session: Session, name: str) -> RobotType:
    robot_type = session.execute(
        select(RobotType).where(RobotType.name == name, RobotType.archived_at.is_(None))
    ).scalar_one_or_none()
    if robot_type is None:
        raise NotFound(f"robot_type '{name}' not found", {"field": "robot_type"})
    return robot_type


def _returning_robot(
    session: Session, settings: Settings, token: str, factory: Factory, robot_type: RobotType
) -> Robot:
    """The robot a device token names, if it is current and of this factory and type."""
    claims = decode(settings, token)
    if claims.kind != "device":
        raise Unauthorized("registering again needs the robot's own device token")
    robot = session.get(Robot, claims.sub)
    if robot is None or robot.archived_at is not None:
        raise Unauthorized("device not registered")
    if claims.token_version != robot.token_version:
        raise Unauthorized("device token revoked (rotated)")
    if robot.factory_id != factory.id or robot.robot_type_id != robot_type.id:
        raise Unauthorized(
            f"device '{robot.device_id}' is registered for another factory or robot type"
        )
    return robot


def register_device(
    session: Session, settings: Settings, body: RegisterIn, bearer: str | None = None
) -> RegisterOut:
    factory = _factory(session, body.factory)
    robot_type = _robot_type(session, body.robot_type)
    if bearer:
        robot = _returning_robot(session, settings, bearer, factory, robot_type)
    else:
        robot = Robot(
            factory_id=factory.id,
            robot_type_id=robot_type.id,
            device_id=next_device_id(session, factory, robot_type),
        )
        session.add(robot)
    robot.last_seen_at = utcnow()
    session.flush()
    _ensure_bucket(settings, settings.bucket_for(factory.id))
    return RegisterOut(
        device_id=robot.device_id,
        factory=factory.name,
        factory_id=factory.id,
        robot_type=robot_type.name,
        robot_type_id=robot_type.id,
        robot_id=robot.id,
        endpoints=Endpoints(
            recorder_rpc_url=recorder_rpc_url(settings, robot.device_id),
            transfer_ws_url=transfer_ws_url(settings),
        ),
        ws_client_auth_token=device_token(settings, robot),
    )


_ensured: set[str] = set()


def _ensure_bucket(settings: Settings, bucket: str) -> None:
    """The factory's bucket must exist before its first robot uploads (robots' credentials
    need not allow creating buckets). Best effort: registration does not fail on it."""
    if bucket in _ensured:
        return
    from keystone_api.storage.s3 import ensure_bucket, get_s3_client

    try:
        ensure_bucket(get_s3_client(), bucket)
        _ensured.add(bucket)
    except Exception as exc:  # noqa: BLE001 - the object store may be down; say so, go on
        log.warning("could not ensure bucket %s: %s", bucket, exc)
