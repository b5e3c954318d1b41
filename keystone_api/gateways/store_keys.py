"""Each robot's own object-store key: write (and HEAD) under `{factory_id}/{device_id}/` of
its factory's bucket, nothing else. Issued at registration, replaced at every token
rotation (the old key stops working), revoked when the robot is archived or deleted."""

from __future__ import annotations

from dataclasses import dataclass

from keystone_api.fleet.models import Robot
from keystone_api.settings import Settings
from keystone_api.storage import identities, policies
from keystone_api.storage.identities import admin_credentials

_ensured_buckets: set[str] = set()


@dataclass(frozen=True)
class RobotKey:
    bucket: str
    prefix: str
    access_key: str
    secret_key: str


def identity_name(robot: Robot) -> str:
    # Device ids are unique across factories, and their pattern fits the identity names of
    # IAM users and MinIO service accounts (at most 32 characters there).
    return f"ks-robot-{robot.device_id}"


def issue_robot_key(settings: Settings, robot: Robot) -> RobotKey:
    bucket = settings.bucket_for(robot.factory_id)
    _ensure_bucket(settings, bucket)
    prefix = policies.robot_prefix(robot.factory_id, robot.device_id)
    key = identities.issue(settings, identity_name(robot), policies.robot(bucket, prefix))
    robot.store_access_key = key.access_key
    return RobotKey(bucket, prefix, key.access_key, key.secret_key)


def revoke_robot_key(settings: Settings, robot: Robot) -> None:
    if robot.store_access_key is None:
        return
    identities.revoke(settings, identity_name(robot))
    robot.store_access_key = None


def _ensure_bucket(settings: Settings, bucket: str) -> None:
    """The factory's bucket exists before its first robot uploads. Made with the identity
    credentials: no process of Keystone's may create buckets with its own key."""
    if bucket in _ensured_buckets:
        return
    from keystone_api.storage.s3 import ensure_bucket, make_s3_client

    access, secret = admin_credentials(settings)
    client = make_s3_client(settings.s3_endpoint_url, access, secret, settings.s3_region)
    identities.calling("create the bucket", bucket, lambda: ensure_bucket(client, bucket))
    _ensured_buckets.add(bucket)
