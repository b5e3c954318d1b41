"""Settings from the environment (prefix KEYSTONE_), read once behind get_settings()."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # Where people open the Dagster UI (the landing page at / links it; `keystone dev` sets it).
    dagster_url: str | None = None
    # Set by `keystone dev` while its fleet simulator records for this edge: the share of
    # recordings it damages on purpose. The QA failure alert says when that explains it.
    simulated_defect_rate: float | None = Field(None, ge=0.0, le=1.0)

    # No usable default: every process refuses to start without a strong key of its own
    # (preflight.check_signing_key). Edge and cloud each have theirs.
    jwt_secret: SecretStr = SecretStr("")
    jwt_algorithm: str = "HS256"
    # By role unless set (_role_defaults): an edge's token is not the cloud's, even signed
    # with the same key by mistake.
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_ttl_s: int = 12 * 3600
    device_token_ttl_s: int = 365 * 24 * 3600

    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: SecretStr | None = None

    # dev: robots may connect without a device token; production: they must present one.
    dev_mode: bool = False
    # Robots' doors (gateways/throttle.py), as `limits` rate strings: frames a robot socket
    # may send, and refused handshakes or registrations an address may make.
    robot_frame_rate: str = "60/10seconds"
    # A task whose recorder lost its socket stays its own (the recorder keeps recording and
    # retries every few seconds, up to ~18 s apart); staff may release it to another
    # station only once the recorder has been away this long.
    recorder_offline_release_s: float = Field(120.0, ge=0, le=24 * 3600)
    door_refusal_rate: str = "30/minute"
    # Logins (accounts/logins.py): failed attempts allowed per username and per client
    # address (tiers: a persistent guesser waits a minute, then an hour, then a day), how
    # many password checks run at once and how many may wait; where the counts live
    # (memory:// per process, or redis://host:6379 shared by several API workers).
    login_failures_per_user: str = "5/minute;20/hour;100/day"
    login_failures_per_address: str = "30/minute;300/hour"
    login_concurrency: int = Field(2, ge=1, le=64)
    login_max_waiting: int = Field(32, ge=0, le=10_000)
    rate_limit_storage: str = "memory://"
    max_body_bytes: int = 1_048_576
    # Request line and headers must be in within this many seconds of the connection (or of
    # a later request's first byte), or it is closed (http_protocol.py).
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    # /metrics (metrics/access.py): outside dev mode a scrape needs this bearer token (at
    # least 32 characters: `openssl rand -base64 48`) or an admin/operator JWT, unless
    # metrics_public opens it to anyone; rendered at most once per metrics_min_interval_s.
    metrics_token: SecretStr | None = Field(None, min_length=32)
    metrics_public: bool = False
    metrics_min_interval_s: float = Field(5.0, ge=0, le=300)

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
    # Spot checks (episodes/spot_checks.py): a sampled auto-approved episode waits for an
    # inspector before it is queued for the cloud; false queues it at once (a rejection
    # still withdraws it if it has not started for the cloud).
    spot_check_hold: bool = True
    # The share a new robot type samples (robot_types.spot_check_share), and that of
    # episodes with no robot type.
    spot_check_share: float = Field(0.02, ge=0.0, le=1.0)

    # The first hour of the Dagster code location's hourly partitions (UTC): an ISO date
    # (2026-03-01) or date and hour (2026-03-01T08, 2026-03-01T08:00). Set it to the day this
    # edge started recording: every hour since is a partition (and in "Materialize all").
    # Outside dev mode the code location refuses to load without it
    # (keystone_pipelines/defs/episodes/partitions.py says why); `keystone dev` sets its
    # first start.
    partitions_start: datetime | None = None

    @field_validator("partitions_start", mode="before")
    @classmethod
    def _an_hour_in_utc(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_partitions_start(value) if value.strip() else None  # "" is unset
        return value

    @field_validator("partitions_start")
    @classmethod
    def _on_the_hour(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if (value.minute, value.second, value.microsecond) != (0, 0, 0):
            raise ValueError(f"{value.isoformat()} is not on the hour (partitions are hours)")
        return value

    @model_validator(mode="after")
    def _role_defaults(self) -> Settings:
        # The edge keeps the issuer and audience it always had: its robots hold device
        # tokens for a year, and they stay valid across this change (with the same key).
        issuer, audience = {
            DeployRole.edge: ("keystone-edge", "keystone"),
            DeployRole.cloud: ("keystone-cloud", "keystone-cloud"),
        }[self.role]
        self.jwt_issuer = self.jwt_issuer or issuer
        self.jwt_audience = self.jwt_audience or audience
        return self

    def bucket_for(self, factory_id: str) -> str:
        return self.s3_bucket_template.format(factory_id=factory_id)


PARTITIONS_START_FORMS = "an ISO date (2026-03-01) or date and hour (2026-03-01T08:00), in UTC"


def parse_partitions_start(text: str) -> datetime:
    """2026-03-01, 2026-03-01T08, 2026-03-01 08:00, or Dagster's own 2026-03-01-08:00."""
    text = text.strip()
    if len(text) == 16 and text[10] == "-":  # Dagster's hourly key format
        text = text[:10] + "T" + text[11:]
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected {PARTITIONS_START_FORMS}, got {text!r}") from None


@lru_cache
def get_settings() -> Settings:
    return Settings()
