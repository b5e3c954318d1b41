"""Two Keystone instances over real HTTP.

Edge: this process's session fixtures (MariaDB database, SeaweedFS, uvicorn app). Cloud: a
`keystone api` process with KEYSTONE_ROLE=cloud, its own MariaDB database (migrated with
the same chain) and its own SeaweedFS server and bucket.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from awscrt.checksums import crc64nvme
from botocore.client import BaseClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keystone_api.cloud.models import CloudEpisode
from keystone_api.settings import DeployRole, Settings, get_settings
from keystone_api.sync.objects import crc64_b64
from tests.api.conftest import client, live_api, world  # noqa: F401 - the edge's fixtures
from tests.support import mysql
from tests.support.processes import keystone_api_process

CLOUD_BUCKET = "cloud-episodes"
MIB = 1024 * 1024
# The cloud's own signing key (as in production: an edge's key mints nothing it accepts).
CLOUD_JWT_SECRET = "test-cloud-secret-" + "c" * 40
# Where the cloud fixture's service tokens are recorded. In the environment, not a module
# global: this module is imported twice (as the conftest, and by the tests that import it).
CLOUD_DATABASE_VAR = "KS_TEST_CLOUD_DATABASE_URL"


@dataclass
class Cloud:
    api: str
    s3_url: str
    s3: BaseClient
    sessions: sessionmaker[Session]
    bucket: str = CLOUD_BUCKET

    def episodes(self) -> dict[str, CloudEpisode]:
        with self.sessions() as session:
            rows = session.execute(select(CloudEpisode).order_by(CloudEpisode.synced_at))
            return {r.episode_id: r for r in rows.scalars()}

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def upload_part(
        self, key: str, upload_id: str, number: int, data: bytes, crc_of: bytes | None = None
    ) -> dict[str, Any]:
        """One part with its CRC64NVME (of `crc_of` instead, to send a wrong one), as the
        sender sends it; returns the part's entry for CompleteMultipartUpload."""
        checksum = crc64_b64(crc64nvme(data if crc_of is None else crc_of))
        etag = self.s3.upload_part(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumCRC64NVME=checksum,
        )["ETag"]
        return {"PartNumber": number, "ETag": etag, "ChecksumCRC64NVME": checksum}


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory, s3_server: Any) -> Iterator[Cloud]:
    from keystone_api.db import migrate
    from keystone_api.db.engine import make_engine
    from keystone_api.storage.s3 import ensure_bucket, make_s3_client
    from keystone_dev.seaweed import SeaweedServer

    home = Path(tmp_path_factory.mktemp("cloud"))
    server = SeaweedServer(home / "s3").start()
    url = mysql.create_database(f"ks_cloud_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}")
    migrate.upgrade(url)
    s3 = make_s3_client(server.endpoint_url, server.access_key, server.secret_key)
    ensure_bucket(s3, CLOUD_BUCKET)
    engine = make_engine(url)
    env = {
        "KEYSTONE_ROLE": "cloud",
        "KEYSTONE_DATABASE_URL": url,
        "KEYSTONE_S3_ENDPOINT_URL": server.endpoint_url,
        "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
        "KEYSTONE_MAX_BODY_BYTES": str(8 * MIB),
        "KEYSTONE_JWT_SECRET": CLOUD_JWT_SECRET,
    }
    try:
        with pytest.MonkeyPatch.context() as environ:
            environ.setenv(CLOUD_DATABASE_VAR, url)
            with keystone_api_process(env, home / "cloud-api.log") as base:
                yield Cloud(base, server.endpoint_url, s3, sessionmaker(engine))
    finally:
        engine.dispose()
        server.stop()
        mysql.drop_database(url)


def cloud_settings() -> Settings:
    return Settings(role=DeployRole.cloud, jwt_secret=SecretStr(CLOUD_JWT_SECRET))


def cloud_token(role: str, ttl_s: int = 3600, **scope: str | None) -> str:
    """A token as the cloud's admin mints it: the cloud's key, issuer and audience, recorded
    in the cloud's database."""
    from tests.support.tokens import recorded_token

    database = os.environ[CLOUD_DATABASE_VAR]
    return recorded_token(cloud_settings(), role, database_url=database, ttl_s=ttl_s, **scope)


def service_token(
    factory_id: str | None = None, ttl_s: int = 3600, organization_id: str | None = None
) -> str:
    return cloud_token("service", ttl_s, factory_id=factory_id, organization_id=organization_id)


@pytest.fixture
def sync_settings(cloud: Cloud) -> Callable[..., Settings]:
    """Sender settings pointing at the cloud (or at a proxy in front of it)."""

    def make(api: str | None = None, s3: str | None = None, **tuning: Any) -> Settings:
        base = get_settings()
        values: dict[str, Any] = {
            "cloud_api_url": api or cloud.api,
            "cloud_service_token": SecretStr(service_token()),
            "cloud_s3_endpoint_url": s3 or cloud.s3_url,
            "cloud_s3_access_key": base.s3_access_key,
            "cloud_s3_secret_key": base.s3_secret_key,
            "cloud_bucket": CLOUD_BUCKET,
            "sync_part_size_bytes": 5 * MIB,
            "sync_parts_in_flight": 4,
            "sync_backoff_base_s": 0.02,
            "sync_backoff_cap_s": 0.3,
            "sync_http_timeout_s": 20.0,
            **tuning,
        }
        return base.model_copy(update=values)

    return make


@pytest.fixture
def drained(sync_settings: Callable[..., Settings]) -> None:
    """Start from an empty queue: episodes other tests approved on this edge are sent first
    (they are real and syncable), so a test's own episodes are the only ones pending."""
    from tests.sync.helpers import drain_all

    drain_all(sync_settings())
