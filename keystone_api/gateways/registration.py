"""Device registration (`POST /api/v1/devices/register`, axon-protocol.md sections 1 and 8).

A robot enrolls once with its factory's enrollment secret (HTTP Basic, sent by the
unmodified `axon-config` from `--keystone-url http://enroll:SECRET@edge:8080`) and gets an
Axon device id, its endpoints (the transfer URL carries its own key), a device token and
its own object-store key, allowed only to write under `{factory_id}/{device_id}/`.

A robot that presents its current device token as Bearer instead gets its own identity
back (it lost its local state): the same device, token and transfer URL, and a new store
key (its old one is deleted: store secrets are never kept here, only handed out).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.tokens import decode
from keystone_api.db.base import utcnow
from keystone_api.enrollment.service import EnrollmentRequired, enroll
from keystone_api.errors import NotFound, Unauthorized
from keystone_api.fleet.devices import device_token, next_device_id
from keystone_api.fleet.models import Robot, RobotType
from keystone_api.gateways.endpoints import recorder_rpc_url, transfer_ws_url
from keystone_api.gateways.schemas import Endpoints, RegisterIn, RegisterOut, StorageOut
from keystone_api.gateways.store_keys import issue_robot_key
from keystone_api.registry.models import Factory
from keystone_api.settings import Settings


def _factory(session: Session, name: str) -> Factory | None:
    # Locked: device ids are allocated per factory by counting, so registrations of one
    # factory serialize here and never compute the same sequence number.
    return session.execute(
        select(Factory).where(Factory.name == name, Factory.archived_at.is_(None)).with_for_update()
    ).scalar_one_or_none()


def _robot_type(session: Session, name: str) -> RobotType:
    robot_type = session.execute(
        select(RobotType).where(RobotType.name == name, RobotType.archived_at.is_(None))
    ).scalar_one_or_none()
    if robot_type is None:
        raise NotFound(f"robot_type '{name}' not found", {"field": "robot_type"})
    return robot_type


def _returning_robot(
    session: Session, settings: Settings, token: str, body: RegisterIn
) -> tuple[Robot, Factory, RobotType]:
    """The robot a device token names, if it is current and of this factory and type."""
    claims = decode(settings, token)
    if claims.kind != "device":
        raise Unauthorized("registering again needs the robot's own device token")
    robot = session.get(Robot, claims.sub)
    if robot is None or robot.archived_at is not None:
        raise Unauthorized("device not registered")
    if claims.token_version != robot.token_version:
        raise Unauthorized("device token revoked (rotated)")
    factory = session.get(Factory, robot.factory_id)
    robot_type = session.get(RobotType, robot.robot_type_id)
    assert factory is not None and robot_type is not None
    if (factory.name, robot_type.name) != (body.factory, body.robot_type):
        raise Unauthorized(
            f"device '{robot.device_id}' is registered for another factory or robot type"
        )
    return robot, factory, robot_type


def _enrolled_robot(
    session: Session, authorization: str | None, body: RegisterIn
) -> tuple[Robot, Factory, RobotType]:
    """A new robot, admitted by the factory's enrollment secret (checked before anything
    about the factory is said: an anonymous caller learns nothing)."""
    if not authorization or not authorization.lower().startswith("basic "):
        raise EnrollmentRequired(
            "enrollment secret missing: register with the factory's enrollment secret as "
            "HTTP Basic: axon-config register --keystone-url http://enroll:SECRET@HOST:PORT"
        )
    factory = _factory(session, body.factory)
    secret = enroll(session, factory.id if factory else None, body.factory, authorization)
    assert factory is not None  # a secret enrolls into its own, live, factory only
    robot_type = _robot_type(session, body.robot_type)
    robot = Robot(
        factory_id=factory.id,
        robot_type_id=robot_type.id,
        device_id=next_device_id(session, factory, robot_type),
        enrolled_with=secret.id,
    )
    session.add(robot)
    return robot, factory, robot_type


def register_device(
    session: Session, settings: Settings, body: RegisterIn, authorization: str | None
) -> RegisterOut:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        robot, factory, robot_type = _returning_robot(session, settings, token.strip(), body)
    else:
        robot, factory, robot_type = _enrolled_robot(session, authorization, body)
    robot.last_seen_at = utcnow()
    session.flush()
    return registration_answer(session, settings, robot, factory, robot_type)


def registration_answer(
    session: Session, settings: Settings, robot: Robot, factory: Factory, robot_type: RobotType
) -> RegisterOut:
    """What a robot needs to run, with a fresh store key (also the answer to a rotation)."""
    key = issue_robot_key(settings, robot)
    session.flush()
    return RegisterOut(
        device_id=robot.device_id,
        factory=factory.name,
        factory_id=factory.id,
        robot_type=robot_type.name,
        robot_type_id=robot_type.id,
        robot_id=robot.id,
        endpoints=Endpoints(
            recorder_rpc_url=recorder_rpc_url(settings, robot.device_id),
            transfer_ws_url=transfer_ws_url(settings, robot.id, robot.token_version),
        ),
        ws_client_auth_token=device_token(settings, robot),
        storage=StorageOut(
            endpoint_url=settings.s3_robot_endpoint_url or settings.s3_endpoint_url,
            bucket=key.bucket,
            region=settings.s3_region,
            prefix=key.prefix,
            access_key=key.access_key,
            secret_key=key.secret_key,
        ),
    )


def registration_answer_of(session: Session, settings: Settings, robot: Robot) -> RegisterOut:
    factory = session.get(Factory, robot.factory_id)
    robot_type = session.get(RobotType, robot.robot_type_id)
    assert factory is not None and robot_type is not None
    return registration_answer(session, settings, robot, factory, robot_type)
