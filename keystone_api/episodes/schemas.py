"""Request and response shapes of the episode registry and inspection."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from keystone_api.common.schemas import In, ListQuery, Out, Text
from keystone_api.episodes.models import EpisodeStatus
from keystone_api.episodes.review_schemas import AnnotationIn, AnnotationOut, SpotCheckOut
from keystone_api.sync.models import SyncState


class EpisodeOut(Out):
    id: str
    task_id: str
    factory_id: str
    order_id: str
    batch_id: str
    workstation_id: str
    robot_id: str | None
    data_collector_id: str | None
    scene_id: str
    subscene_id: str
    sop_id: str
    status: EpisodeStatus
    bucket: str
    mcap_key: str
    sidecar_key: str | None
    mcap_size_bytes: int
    checksum_sha256: str | None
    duration_s: float | None
    message_count: int | None
    recording_started_at: datetime | None
    landed_at: datetime
    qa_score: float | None
    qa_assessed_at: datetime | None
    approved_at: datetime | None
    recalled: bool
    created_at: datetime


class EpisodeFilters(ListQuery):
    status: EpisodeStatus | None = None
    factory_id: str | None = Field(None, max_length=64)
    order_id: str | None = Field(None, max_length=64)
    batch_id: str | None = Field(None, max_length=64)
    workstation_id: str | None = Field(None, max_length=64)
    robot_id: str | None = Field(None, max_length=64)
    data_collector_id: str | None = Field(None, max_length=64)
    scene_id: str | None = Field(None, max_length=64)
    subscene_id: str | None = Field(None, max_length=64)
    landed_after: AwareDatetime | None = None
    landed_before: AwareDatetime | None = None
    synced: bool | None = Field(None, description="Only episodes (not) yet in the cloud")
    recalled: bool | None = None


class CheckOut(Out):
    name: str
    passed: bool
    score: float
    detail: str
    data: dict[str, Any]
    validator_version: str
    created_at: datetime


class DecisionOut(Out):
    inspector_name: str
    inspector_user_id: str | None
    decision: str
    reason: str
    notes: str
    source: str
    decided_at: datetime


class StatusChangeOut(Out):
    from_status: str | None
    to_status: str
    actor: str
    cause: str
    at: datetime


class SyncOut(Out):
    state: SyncState
    attempts: int
    bytes_sent: int
    bytes_total: int
    last_error: str | None
    next_attempt_at: datetime | None
    synced_at: datetime | None
    cloud_mcap_sha256: str | None


class EpisodeDetail(EpisodeOut):
    sidecar: dict[str, Any] | None
    sidecar_sha256: str | None
    qa_passed: bool | None
    qa_result: dict[str, Any] | None
    validator_version: str | None
    formula_version: str | None
    evidence_keys: list[Any]
    labels: list[Any]
    checks: list[CheckOut]
    decisions: list[DecisionOut]
    history: list[StatusChangeOut]
    sync: SyncOut | None
    annotations: list[AnnotationOut] = []
    spot_check: SpotCheckOut | None = None


class InspectionIn(In):
    decision: Literal["approve", "reject"]
    reason: Text = Field("", max_length=2000, examples=["camera_left frames corrupt after 00:42"])
    notes: Text = ""
    annotations: list[AnnotationIn] = Field(
        default_factory=list,
        max_length=100,
        description="Time ranges (and topics) of the recording the decision is about",
    )


class QueueItem(Out):
    episode: EpisodeOut
    failing_checks: list[CheckOut]
    waiting_s: float
    spot_check: bool = False


class DownloadLink(Out):
    name: str
    key: str
    url: str


class DownloadsOut(Out):
    episode_id: str
    expires_in: int
    links: list[DownloadLink]


class LandedIn(In):
    """Register a recording already in the bucket (for uploaders other than Axon's daemon)."""

    task_id: str = Field(min_length=1, max_length=64)
    mcap_key: str = Field(min_length=1, max_length=512)
    expected_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
