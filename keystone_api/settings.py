"""Settings from the environment (prefix KEYSTONE_), read once behind get_settings()."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeployRole(StrEnum):
    edge = "edge"
    cloud = "cloud"


class SyncMode(StrEnum):
    auto = "auto"
    manual = "manual"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEYSTONE_", extra="ignore")

    role: DeployRole = DeployRole.edge
    # SQLAlchemy URL: mysql+pymysql://user:pass@host:3306/keystone or sqlite:///path.db
    database_url: str = "sqlite:///.keystone/keystone.db"
    database_pool_size: int = 20
    database_connect_timeout_s: int = 5

    s3_endpoint_url: str = "http://127.0.0.1:8333"
    s3_access_key: str = "keystone"
    s3_secret_key: SecretStr = SecretStr("keystone-secret")
    s3_region: str = "us-east-1"
    # Each factory has its own bucket; {factory_id} is replaced.
    s3_bucket_template: str = "edge-{factory_id}"
    # The object store as robots reach it (their registration answer), when not at
    # s3_endpoint_url.
    s3_robot_endpoint_url: str | None = None
    # Making identities (each robot's own key): the store's identity API ("iam": the AWS IAM
    # API, as SeaweedFS and AWS serve it; "minio": MinIO's admin API), where it answers
    # (default: s3_endpoint_url) and the credentials allowed to use it (default: the ones
    # above). Only the API and gateway processes need these.
    s3_identities: Literal["iam", "minio"] = "iam"
    s3_iam_endpoint_url: str | None = None
    s3_admin_access_key: str | None = None
    s3_admin_secret_key: SecretStr | None = None

    # Where robots and collectors reach this server (callback URLs, WebSocket URLs).
    public_base_url: str = "http://127.0.0.1:8080"
    # The robot gateways (recorder and transfer WebSockets, recorder actions, device-state
    # stream) hold live sockets, so they run in one process: "on" here (one API process),
    # "off" (API workers behind a separate `keystone gateway`), "only" (that gateway).
    gateways: Literal["on", "off", "only"] = "on"
    # Where robots reach the gateways, when they do not run in this process.
    gateway_url: str | None = None

    jwt_secret: SecretStr = SecretStr("dev-insecure-change-me-dev-insecure-change-me")
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "keystone-edge"
    jwt_audience: str = "keystone"
    jwt_ttl_s: int = 12 * 3600
    device_token_ttl_s: int = 365 * 24 * 3600

    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: SecretStr | None = None

    # dev: robots may connect without a device token; production: they must present one.
    dev_mode: bool = False
    # Robots' doors (robots/throttle.py), as `limits` rate strings: frames a robot socket
    # may send, and refused handshakes or registrations an address may make.
    robot_frame_rate: str = "60/10seconds"
    door_refusal_rate: str = "30/minute"
    max_body_bytes: int = 1_048_576

    sync_mode: SyncMode = SyncMode.auto
    cloud_api_url: str | None = None
    cloud_service_token: SecretStr | None = None
    cloud_s3_endpoint_url: str | None = None
    cloud_s3_access_key: str | None = None
    cloud_s3_secret_key: SecretStr | None = None
    cloud_bucket: str = "cloud-episodes"
    # Server-side encryption asked for on every cloud object; "" turns it off explicitly.
    # An object store that does not apply it fails the sync loudly (sync/transfer.py).
    cloud_s3_sse: str = "AES256"
    # Sender: memory is bounded by part size x parts in flight, never by a file's size.
    sync_part_size_bytes: int = Field(16 * 1024 * 1024, ge=5 * 1024 * 1024)
    sync_parts_in_flight: int = Field(8, ge=1, le=64)
    sync_window: int = Field(8, ge=1, le=256)  # episodes claimed and transferred together
    sync_claim_ttl_s: float = Field(120.0, gt=0)  # a dead sender's claim expires after this
    sync_backoff_base_s: float = Field(1.0, gt=0)
    sync_backoff_cap_s: float = Field(30.0, gt=0)  # the specification's cap
    # The receiver reads a multipart MCAP in full to verify it: allow for that.
    sync_http_timeout_s: float = Field(300.0, gt=0)

    qa_auto_approve_score: float = Field(0.90, ge=0.0, le=1.0)

    def bucket_for(self, factory_id: str) -> str:
        return self.s3_bucket_template.format(factory_id=factory_id)


@lru_cache
def get_settings() -> Settings:
    return Settings()
