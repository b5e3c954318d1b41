"""The one resource the Keystone code location needs: Keystone's database, object store and
settings, read from the same KEYSTONE_* environment as the API."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import dagster as dg
from sqlalchemy.orm import Session, sessionmaker

from keystone_api.settings import Settings


@lru_cache(maxsize=8)
def _sessionmaker(url: str) -> sessionmaker[Session]:
    from keystone_api.db.engine import make_engine

    # Engines live as long as the process (code server, run worker): one pool each.
    return sessionmaker(make_engine(url, pool_size=8, max_overflow=8), expire_on_commit=False)


@lru_cache(maxsize=8)
def _s3(endpoint: str, access_key: str, secret_key: str) -> Any:
    from keystone_api.storage.s3 import make_s3_client

    return make_s3_client(endpoint, access_key, secret_key, max_pool_connections=32)


class KeystoneResource(dg.ConfigurableResource):  # type: ignore[misc]
    """Keystone's MySQL (source of truth) and the factory object store."""

    database_url: str
    s3_endpoint_url: str
    s3_access_key: str
    s3_secret_key: str
    public_base_url: str = "http://127.0.0.1:8080"
    # Validations run in parallel inside one run (I/O-bound ranged GETs + OpenCV, which
    # releases the GIL); more runs at once would only add Dagster overhead.
    qa_workers: int = 4
    # A run's claim on its episodes; a crashed run's claims expire and are retried.
    claim_lease_s: int = 900
    # Episodes pending QA longer than this fail the partition's check.
    stuck_after_s: int = 1800
    # A run costs ~2-3 CPU-s whatever it assesses: the sensor waits for this many
    # episodes, or for the oldest to have waited this long, before asking for one. At
    # 6,000 an hour that is a run every ~45-60 s (bench/pipeline_bench.py).
    qa_min_batch: int = 100
    qa_max_wait_s: int = 40
    # A backfill over more hours is refused unless tagged keystone/allow_wide_backfill=true
    # ("Materialize all" would otherwise run every hour since KEYSTONE_PARTITIONS_START):
    # a week (defs/episodes/backfill_guard.py).
    max_backfill_hours: int = 7 * 24
    # The cloud the sync job delivers to (unset: sync is off).
    cloud_api_url: str | None = None
    cloud_service_token: str | None = None
    cloud_s3_endpoint_url: str | None = None
    cloud_s3_access_key: str | None = None
    cloud_s3_secret_key: str | None = None
    cloud_bucket: str | None = None

    def settings(self) -> Settings:
        # Everything else (sync mode, thresholds, ...) comes from the same KEYSTONE_*
        # environment as the API's.
        values = {
            k: v
            for k, v in self.model_dump().items()
            if k in Settings.model_fields and v is not None
        }
        return Settings(**values)

    def sessions(self) -> sessionmaker[Session]:
        return _sessionmaker(self.database_url)

    def s3(self) -> Any:
        return _s3(self.s3_endpoint_url, self.s3_access_key, self.s3_secret_key)

    def episode_link(self, episode_id: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/dashboard/episodes/{episode_id}"


def keystone_from_env() -> KeystoneResource:
    optional = {
        name: f"KEYSTONE_{name.upper()}"
        for name in (
            "public_base_url",
            "cloud_api_url",
            "cloud_service_token",
            "cloud_s3_endpoint_url",
            "cloud_s3_access_key",
            "cloud_s3_secret_key",
            "cloud_bucket",
        )
    }
    # Tuning knobs of the QA runs' batching (KEYSTONE_QA_MIN_BATCH, KEYSTONE_QA_MAX_WAIT_S) and
    # the backfill guard's bound (KEYSTONE_MAX_BACKFILL_HOURS).
    numbers = {
        name: dg.EnvVar.int(f"KEYSTONE_{name.upper()}")
        for name in ("qa_min_batch", "qa_max_wait_s", "qa_workers", "max_backfill_hours")
        if f"KEYSTONE_{name.upper()}" in os.environ
    }
    return KeystoneResource(
        **numbers,  # type: ignore[arg-type]
        database_url=dg.EnvVar("KEYSTONE_DATABASE_URL"),
        s3_endpoint_url=dg.EnvVar("KEYSTONE_S3_ENDPOINT_URL"),
        s3_access_key=dg.EnvVar("KEYSTONE_S3_ACCESS_KEY"),
        s3_secret_key=dg.EnvVar("KEYSTONE_S3_SECRET_KEY"),
        **{k: dg.EnvVar(v) for k, v in optional.items() if v in os.environ},  # type: ignore[arg-type]
    )
