"""Request and response shapes of the episode registry and inspection."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    field_serializer,
    model_validator,
)

from keystone_api.common.schemas import In, ListQuery, Out, Text
from keystone_api.episodes.labels import normalize
from keystone_api.episodes.models import EpisodeStatus
from keystone_api.episodes.review_schemas import AnnotationIn, AnnotationOut, SpotCheckOut
from keystone_api.stats.export import MAX_ROWS
from keystone_api.sync.models import SyncState

_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f]")


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


CheckName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
LabelIn = Annotated[str, StringConstraints(max_length=200), AfterValidator(normalize)]


class EpisodeFilters(ListQuery):
    """The one filter model of the episode list, its CSV export and the dashboard's
    Episodes page. Every filter narrows; a repeated status is any of them, a repeated label
    all of them (episodes carrying every one)."""

    status: list[EpisodeStatus] = Field(default_factory=list, max_length=5)
    factory_id: str | None = Field(None, max_length=64)
    order_id: str | None = Field(None, max_length=64)
    batch_id: str | None = Field(None, max_length=64)
    workstation_id: str | None = Field(None, max_length=64, description="The station")
    robot_id: str | None = Field(None, max_length=64)
    data_collector_id: str | None = Field(None, max_length=64)
    scene_id: str | None = Field(None, max_length=64)
    subscene_id: str | None = Field(None, max_length=64)
    skill_id: str | None = Field(None, max_length=64, description="Its subscene has this skill")
    landed_after: AwareDatetime | None = None
    landed_before: AwareDatetime | None = None
    synced: bool | None = Field(None, description="Only episodes (not) yet in the cloud")
    recalled: bool | None = None
    failed_check: CheckName | None = Field(
        None, description="Episodes whose QA check of this name failed", examples=["gaps"]
    )
    qa_passed: bool | None = Field(
        None, description="Assessed episodes whose every check passed (or not)"
    )
    score_min: float | None = Field(None, ge=0, le=1, description="QA score at least")
    score_max: float | None = Field(None, ge=0, le=1, description="QA score at most")
    label: list[LabelIn] = Field(default_factory=list, max_length=10)
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | (
        None
    ) = Field(
        None,
        description="Free text, found in the sidecar's task fields (task, scene, subscene, "
        "skills, factory, order, collector, operator), case-insensitive",
    )

    @model_validator(mode="after")
    def _ranges(self) -> EpisodeFilters:
        if self.landed_after and self.landed_before and self.landed_after >= self.landed_before:
            raise ValueError("landed_after must be before landed_before")
        low, high = self.score_min, self.score_max
        if low is not None and high is not None and low > high:
            raise ValueError("score_min must not be above score_max")
        if self.q is not None and _CONTROL.search(self.q):
            raise ValueError("q may not contain control characters")
        return self


class EpisodeExport(EpisodeFilters):
    """The same filters; the export holds every match up to MAX_ROWS (the page's limit
    is for screens)."""

    limit: int = Field(MAX_ROWS, ge=1, le=MAX_ROWS)


class EpisodeListItem(EpisodeOut):
    labels: list[str]
    failed_checks: list[str] = Field(description="Names of the QA checks that failed")


class EpisodeCsvRow(EpisodeListItem):
    """A list item as one CSV row: its lists as one cell each, space-separated."""

    @field_serializer("labels", "failed_checks")
    def _joined(self, values: list[str]) -> str:
        return " ".join(values)


class LabelAdd(In):
    label: LabelIn = Field(examples=["occluded-camera"])


class LabelOut(Out):
    label: str
    created_by: str
    created_at: datetime


class LabelInUse(Out):
    label: str
    episodes: int = Field(description="How many of your episodes carry it")


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
    labels: list[str]
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
