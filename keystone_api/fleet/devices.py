"""Robots as devices: Axon-style device ids and device tokens."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.errors import NotFound
from keystone_api.fleet.models import Robot, RobotType
from keystone_api.registry.models import Factory
from keystone_api.settings import Settings


def next_device_id(session: Session, factory: Factory, robot_type: RobotType) -> str:
    """The original server's format, AB-F%04d-T%04d-%06d (factory, robot type, sequence)."""
    prefix = f"AB-F{factory.number:04d}-T{robot_type.number:04d}-"
    count = session.execute(
        select(func.count()).select_from(Robot).where(Robot.device_id.startswith(prefix))
    ).scalar_one()
    sequence = count + 1
    while session.execute(
        select(Robot.id).where(Robot.device_id == f"{prefix}{sequence:06d}")
    ).first():
        sequence += 1
    return f"{prefix}{sequence:06d}"


def device_token(settings: Settings, robot: Robot, ttl_s: int | None = None) -> str:
    claims = TokenClaims(
        "device",
        robot.id,
        Role.robot.value,
        robot.factory_id,
        device_id=robot.device_id,
        token_version=robot.token_version,
    )
    return mint(settings, claims, ttl_s if ttl_s is not None else settings.device_token_ttl_s)


def robot_by_device_id(session: Session, device_id: str) -> Robot:
    robot = session.execute(select(Robot).where(Robot.device_id == device_id)).scalar_one_or_none()
    if robot is None:
        raise NotFound(f"device '{device_id}' not found")
    return robot


def device_token_for(
    session: Session,
    settings: Settings,
    device_id: str | None,
    ttl_s: int,
    admin: Principal | None = None,
) -> str:
    if not device_id:
        raise NotFound("device_id: required for a robot token")
    robot = robot_by_device_id(session, device_id)
    if admin is not None:
        admin.check_factory(robot.factory_id, "device")
    return device_token(settings, robot, ttl_s)


def rotate_token(session: Session, settings: Settings, robot: Robot) -> str:
    """Revoke every token issued to this robot so far and issue a new one."""
    robot.token_version += 1
    session.flush()
    return device_token(settings, robot)
