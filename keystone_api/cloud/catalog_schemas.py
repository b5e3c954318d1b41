"""The episode catalog's shapes: its filters, list rows, detail, downloads, factory summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from keystone_api.common.schemas import ListQuery, Out

Filter = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CatalogFilters(ListQuery):
    """Every filter narrows the list (a repeated skill or label: episodes with all of them)."""

    factory_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    approved_from: AwareDatetime | None = Field(None, description="Approved at or after")
    approved_to: AwareDatetime | None = Field(None, description="Approved before")
    scene: Filter | None = None
    subscene: Filter | None = None
    robot_type: Filter | None = None
    skill: list[Filter] = Field(default_factory=list, max_length=10)
    label: list[Filter] = Field(default_factory=list, max_length=10)
    score_min: float | None = Field(None, ge=0, le=1)
    score_max: float | None = Field(None, ge=0, le=1)
    order: Literal["newest", "oldest"] = Field("newest", description="By approval time")

    @model_validator(mode="after")
    def _ranges(self) -> CatalogFilters:
        if self.approved_from and self.approved_to and self.approved_from >= self.approved_to:
            raise ValueError("approved_from must be before approved_to")
        low, high = self.score_min, self.score_max
        if low is not None and high is not None and low > high:
            raise ValueError("score_min must not be above score_max")
        return self


class Facets(Out):
    """The values each filter can take, in the episodes this caller may read."""

    scenes: list[str]
    robot_types: list[str]
    skills: list[str]
    labels: list[str]


class CatalogEpisode(Out):
    episode_id: str
    factory_id: str
    factory_name: str
    approved_at: datetime
    synced_at: datetime
    scene: str
    subscene: str
    robot_type: str
    device_id: str
    workstation: str
    qa_score: float | None
    skills: list[str]
    labels: list[str]
    duration_s: float | None = Field(description="From the sidecar, when it says")
    mcap_size_bytes: int
    sidecar_size_bytes: int
    findings: int = Field(description="QA findings noted without failing it")


class CatalogPage(Out):
    items: list[CatalogEpisode]
    total: int
    limit: int
    offset: int


class Origin(Out):
    """Where the episode came from, and how it reached the cloud."""

    factory_id: str
    factory_name: str
    task_id: str | None
    order_id: str | None
    batch_id: str | None
    workstation_id: str | None
    workstation: str
    robot_id: str | None
    device_id: str
    delivered_by: str
    synced_at: datetime
    lag_s: float = Field(description="Seconds from approval at the edge to arrival here")


class CatalogDetail(CatalogEpisode):
    origin: Origin
    mcap_sha256: str
    sidecar_sha256: str
    verified_by: str
    qa_checks: list[dict[str, Any]] = Field(
        description="Each QA check's result at the edge (empty for episodes from before the "
        "edges sent them)"
    )
    qa_findings: list[dict[str, Any]]
    sidecar: dict[str, Any]


class Download(Out):
    name: Literal["mcap", "sidecar"]
    filename: str
    url: str
    size_bytes: int
    sha256: str


class Downloads(Out):
    episode_id: str
    expires_in: int = Field(description="Seconds the links work for")
    links: list[Download]


class FactorySummary(Out):
    factory_id: str
    factory_name: str
    episodes: int
    bytes: int
    first_approved_at: datetime | None
    last_approved_at: datetime | None
    last_synced_at: datetime | None


class LagStats(Out):
    """Approval at the edge to arrival in the cloud, over the latest arrivals."""

    sample: int = Field(description="How many of the latest arrivals these are over")
    median_s: float | None
    p95_s: float | None
    max_s: float | None


class DayCount(Out):
    day: str
    episodes: int
    bytes: int


class FactoryDetail(FactorySummary):
    last_24h: DayCount = Field(description="Received in the last 24 hours (day: 'last 24h')")
    lag: LagStats
    days: list[DayCount] = Field(description="Received per UTC day, the last 14 days")
    scenes: list[dict[str, Any]] = Field(description="Episodes per scene")
    robot_types: list[dict[str, Any]] = Field(description="Episodes per robot type")
