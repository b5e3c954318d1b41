"""Shapes of the edge's sync API: status, per-episode progress and attempts, manual queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from keystone_api.common.schemas import Id, In, Out
from keystone_api.settings import SyncMode
from keystone_api.sync.models import SyncState


class SyncStatus(BaseModel):
    mode: SyncMode
    queue_depth: int = Field(description="Queued, uploading or failed: not in the cloud yet")
    warn_threshold: int
    over_threshold: bool
    counts: dict[str, int] = Field(description="Episodes per sync state")
    oldest_pending_approved_at: datetime | None
    last_synced_at: datetime | None
    replica_outbox: int = Field(description="Record changes not yet pushed to the cloud")


class AttemptOut(Out):
    at: datetime
    outcome: str
    http_status: int | None
    error: str | None
    bytes_sent: int
    duration_s: float | None


class SyncRowOut(Out):
    episode_id: str
    state: SyncState
    approved_at: datetime
    attempts: int
    bytes_sent: int
    bytes_total: int
    next_attempt_at: datetime | None
    last_error: str | None
    synced_at: datetime | None


class SyncDetail(SyncRowOut):
    progress: float = Field(description="bytes_sent / bytes_total (1.0 once synced)")
    resumable_upload: bool = Field(description="A multipart upload is in flight")
    claimed_by: str | None
    claimed_until: datetime | None
    cloud_mcap_sha256: str | None
    cloud_sidecar_sha256: str | None
    attempt_log: list[AttemptOut]


class QueueSelection(In):
    """Which approved episodes to queue: named ones, a filtered set, or all (all=true)."""

    episode_ids: list[Id] | None = Field(None, max_length=1000)
    all: bool = Field(False, description="Every eligible episode (no other selector needed)")
    factory_id: Id | None = None
    order_id: Id | None = None
    batch_id: Id | None = None
    status: Literal["auto_approved", "inspector_approved"] | None = None
    approved_after: AwareDatetime | None = None
    approved_before: AwareDatetime | None = None


class Skipped(BaseModel):
    episode_id: str
    reason: str


class QueuePreview(BaseModel):
    count: int = Field(description="Eligible episodes the selection matches")
    bytes_total: int
    episode_ids: list[str] = Field(description="The first 1000, oldest approval first")
    skipped: list[Skipped] = Field(description="Named episodes that are not eligible, and why")


class QueueResult(QueuePreview):
    queued: int
