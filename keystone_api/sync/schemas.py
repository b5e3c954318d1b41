"""Shapes of the edge's sync API: status, per-episode progress and attempts, manual queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, computed_field

from keystone_api.common.schemas import Id, In, Out
from keystone_api.settings import SyncMode
from keystone_api.sync.models import SyncState


class SyncStatus(BaseModel):
    mode: SyncMode
    queue_depth: int = Field(description="Queued or uploading: on their way, not in the cloud yet")
    warn_threshold: int
    over_threshold: bool
    failed: int = Field(
        description="Stopped on an error that needs a person (not an outage, not retried): "
        "GET /api/v1/sync/episodes?state=failed gives each reason; POST /api/v1/sync/queue "
        "re-queues them once fixed"
    )
    counts: dict[str, int] = Field(description="Episodes per sync state")
    oldest_pending_approved_at: datetime | None
    last_synced_at: datetime | None
    replica_outbox: int = Field(description="Record changes not yet pushed to the cloud")
    replica_refused: int = Field(
        description="Record changes the cloud refused (GET /api/v1/sync/replicas/refused); "
        "not sent again until re-queued or changed"
    )


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

    @computed_field(  # type: ignore[prop-decorator]
        description="permanent: failed, waits for a person (last_error says why); transient: "
        "retried with backoff at next_attempt_at, keeping its place; null: no error"
    )
    @property
    def error_kind(self) -> Literal["permanent", "transient"] | None:
        if self.state == SyncState.failed:
            return "permanent"
        return "transient" if self.last_error else None


class SyncDetail(SyncRowOut):
    progress: float = Field(description="bytes_sent / bytes_total (1.0 once synced)")
    resumable_upload: bool = Field(description="A multipart upload is in flight")
    claimed_by: str | None
    claimed_until: datetime | None
    cloud_mcap_sha256: str | None
    cloud_sidecar_sha256: str | None
    attempt_log: list[AttemptOut]


class QueueSelection(In):
    """Which approved episodes to queue: named ones, a filtered set, or all (all=true).
    Eligible: approved, and not in the queue or the cloud (waiting, failed, or no row)."""

    episode_ids: list[Id] | None = Field(None, max_length=1000)
    all: bool = Field(False, description="Every eligible episode (no other selector needed)")
    factory_id: Id | None = None
    order_id: Id | None = None
    batch_id: Id | None = None
    status: Literal["auto_approved", "inspector_approved"] | None = None
    approved_after: AwareDatetime | None = None
    approved_before: AwareDatetime | None = None
    sync_state: Literal["waiting", "failed"] | None = Field(
        None,
        description="Only episodes waiting for an operator (manual mode) or only failed ones "
        "(re-queued once their cause is fixed); both when absent",
    )


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


class RefusedReplica(Out):
    kind: str
    record_id: str
    version: int = Field(description="The record's version when the change was made")
    refused_at: datetime
    refusal: str | None = Field(description="The cloud's reason (or why it could not be sent)")


class RequeueReplicas(In):
    kind: Literal["organization", "order", "batch", "task"] | None = None
    record_ids: list[Id] | None = Field(None, max_length=1000, description="All when absent")


class RequeueResult(BaseModel):
    requeued: int
