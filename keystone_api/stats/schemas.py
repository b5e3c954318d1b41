"""Query and response shapes of the production statistics (what the original Keystone's
data-production statistics offer, in our terms: episodes, QA status, sync state)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from keystone_api.common.schemas import In, Out
from keystone_api.orders.models import OrderStatus
from keystone_api.stats.rates import DEFINITIONS

MAX_SPAN = timedelta(days=400)
# Far enough from the DATETIME limits that `start - span` never overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_BUCKETS = 2000
Granularity = Literal["hour", "day", "week", "month"]
Dimension = Literal[
    "robot",
    "collector",
    "robot_type",
    "scene",
    "subscene",
    "sop",
    "workstation",
    "order",
    "qa_status",
    "sync_state",
]
BUCKET_HOURS = {"hour": 1, "day": 24, "week": 24 * 7, "month": 24 * 28}


def _define(name: str) -> str:
    """A rate's one-line definition (stats/rates.py), for the OpenAPI document."""
    return DEFINITIONS[name].definition


class StatsQuery(In):
    """A period [start, end) (default: the last 24 hours) and filters. Episodes count in
    the period they landed in; tasks in the period they completed or failed."""

    start: AwareDatetime | None = Field(None, examples=["2026-11-27T00:00:00Z"])
    end: AwareDatetime | None = Field(None, examples=["2026-11-28T00:00:00Z"])
    factory_id: str | None = Field(None, max_length=64)
    order_id: str | None = Field(None, max_length=64)
    workstation_id: str | None = Field(None, max_length=64)
    robot_id: str | None = Field(None, max_length=64)
    data_collector_id: str | None = Field(None, max_length=64)
    scene_id: str | None = Field(None, max_length=64)
    subscene_id: str | None = Field(None, max_length=64)
    sop_id: str | None = Field(None, max_length=64)
    tz_offset_minutes: int = Field(
        0,
        ge=-840,
        le=840,
        description="Minutes east of UTC of the viewer: days, weeks and months start at "
        "local midnight (e.g. 480 for UTC+08:00).",
    )

    @model_validator(mode="after")
    def _period(self) -> StatsQuery:
        end = self.end or datetime.now(UTC)
        # The end is checked first: the default start 24 hours before an end in year 1
        # overflowed (a 500, found by tests/api/test_fuzz_stateful.py).
        if not EARLIEST < end <= LATEST:
            raise ValueError("start and end must lie between 2000 and 2200")
        start = self.start or end - timedelta(hours=24)
        if not EARLIEST <= start < LATEST:
            raise ValueError("start and end must lie between 2000 and 2200")
        if end <= start:
            raise ValueError("end must be after start")
        if end - start > MAX_SPAN:
            raise ValueError(f"the period may span at most {MAX_SPAN.days} days")
        self.start, self.end = start.astimezone(UTC), end.astimezone(UTC)
        return self

    @property
    def period(self) -> tuple[datetime, datetime]:
        assert self.start is not None and self.end is not None
        return self.start, self.end


class TrendQuery(StatsQuery):
    granularity: Granularity = "hour"

    @model_validator(mode="after")
    def _bucket_count(self) -> TrendQuery:
        start, end = self.period
        hours = (end - start).total_seconds() / 3600
        if hours / BUCKET_HOURS[self.granularity] > MAX_BUCKETS:
            raise ValueError(f"too many {self.granularity} buckets (at most {MAX_BUCKETS})")
        return self


class DimensionQuery(StatsQuery):
    dimension: Dimension = "robot"


class BreakdownQuery(DimensionQuery):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class PagedStatsQuery(StatsQuery):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class OrdersQuery(In):
    status: OrderStatus | None = None
    factory_id: str | None = Field(None, max_length=64)
    limit: int = Field(20, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class Period(Out):
    start: datetime
    end: datetime


class EpisodeCounts(Out):
    """Episodes and their QA and sync outcome. Rates are 0..1, null without a denominator."""

    episodes: int = Field(examples=[120])
    hours_recorded: float = Field(examples=[1.25])
    bytes: int = Field(description="Size of the MCAP recordings", examples=[512_000_000_000])
    pending_qa: int = 0
    auto_approved: int = 0
    needs_inspection: int = 0
    inspector_approved: int = 0
    rejected: int = 0
    approved: int = Field(0, description="auto_approved + inspector_approved")
    qa_passed: int = Field(0, description="Assessed episodes whose every QA check passed")
    synced: int = Field(0, description="Episodes confirmed by the cloud")
    qa_pass_rate: float | None = Field(None, description=_define("qa_pass_rate"), examples=[0.93])
    auto_approval_rate: float | None = Field(
        None, description=_define("auto_approval_rate"), examples=[0.9]
    )
    sync_rate: float | None = Field(None, description=_define("sync_rate"), examples=[0.98])
    avg_qa_score: float | None = Field(None, description=_define("avg_qa_score"), examples=[0.95])


class TaskCounts(Out):
    tasks_completed: int = Field(0, description="Recordings that landed (task completed)")
    tasks_failed: int = Field(0, description="Tasks whose upload failed")
    upload_success_rate: float | None = Field(
        None, description=_define("upload_success_rate"), examples=[0.99]
    )


class PeriodMetrics(EpisodeCounts, TaskCounts):
    sync_latency_avg_s: float | None = Field(
        None, description="Approval to cloud confirmation, synced episodes of the period"
    )
    sync_latency_p95_s: float | None = None
    sync_latency_max_s: float | None = None


class RateDefinition(Out):
    """How a rate shown by the pages, the API and /metrics is computed (stats/rates.py)."""

    name: str = Field(examples=["qa_pass_rate"])
    label: str = Field(examples=["QA pass rate"])
    unit: Literal["per_hour", "ratio", "score", "percent"]
    window: Literal["last_60_min", "period", "all_time"] = Field(
        description="last_60_min: the 60 minutes before now, whatever period is asked; "
        "period: the period asked (a trend's bucket); all_time: no window"
    )
    window_minutes: int | None = Field(None, examples=[60])
    numerator: str = Field(examples=["qa_passed"])
    denominator: list[str] = Field(
        description="Counts summed; empty for a pace (per hour of its window)",
        examples=[["assessed"]],
    )
    definition: str = Field(description="One line for a person (the pages' caption)")


class DefinitionsOut(Out):
    items: list[RateDefinition]


class Change(Out):
    """Against the previous period of the same length: relative change of counts
    ((current - previous) / previous, null when previous is 0) and the difference of rates."""

    episodes: float | None = Field(None, examples=[0.12])
    hours_recorded: float | None = None
    bytes: float | None = None
    qa_pass_rate: float | None = Field(None, examples=[-0.02])
    auto_approval_rate: float | None = None
    sync_rate: float | None = None
    upload_success_rate: float | None = None


class LiveState(Out):
    """Now, whatever the period: queues, fleet and stations."""

    at: datetime
    inspection_queue_depth: int = Field(examples=[4])
    oldest_inspection_wait_s: float | None = None
    sync_queue_depth: int = Field(examples=[12], description="queued + uploading")
    sync_waiting: int = Field(0, description="Approved, waiting for an operator (manual mode)")
    sync_failed: int = Field(
        0, description="Stopped on an error that needs a person (not retried, not an outage)"
    )
    upload_queue_depth: int = Field(0, description="Tasks recorded, upload not landed yet")
    tasks_per_hour: float = Field(0.0, description=_define("tasks_per_hour"), examples=[560])
    robots_total: int = 0
    robots_online: int = 0
    robots_available: int = 0
    workstations: dict[str, int] = Field(default_factory=dict, examples=[{"recording": 3}])


class SummaryOut(Out):
    period: Period
    previous_period: Period
    current: PeriodMetrics
    previous: PeriodMetrics
    change: Change
    live: LiveState


class TrendPoint(EpisodeCounts, TaskCounts):
    start: datetime = Field(description="The bucket's first instant (UTC)")
    label: str = Field(description="The bucket in the viewer's time", examples=["11-27 08:00"])


class TrendOut(Out):
    granularity: Granularity
    tz_offset_minutes: int
    period: Period
    items: list[TrendPoint]


class BreakdownItem(EpisodeCounts):
    key: str = Field(description="The id or value grouped by ('none' when unset)")
    name: str = Field(examples=["WS-01"])


class BreakdownOut(Out):
    dimension: Dimension
    period: Period
    items: list[BreakdownItem]
    total: int
    limit: int
    offset: int


class OrderProgressItem(Out):
    order_id: str
    name: str
    status: OrderStatus
    priority: int
    deadline: datetime | None
    target_episodes: int = Field(examples=[500])
    collected: int = Field(description="Episodes recorded (not recalled)", examples=[320])
    approved: int = Field(examples=[290])
    rejected: int = Field(examples=[8])
    needs_inspection: int = 0
    pending_qa: int = 0
    remaining: int = Field(examples=[210])
    percent_complete: float = Field(description=_define("percent_complete"), examples=[58.0])


class OrdersProgressOut(Out):
    items: list[OrderProgressItem]
    total: int
    limit: int
    offset: int


class WorkstationQuality(EpisodeCounts):
    workstation_id: str
    name: str
    status: str
    robot_id: str | None
    robot_name: str | None
    robot_online: bool
    data_collector_id: str | None
    collector_name: str | None


class WorkstationsOut(Out):
    period: Period
    items: list[WorkstationQuality]
    total: int
    limit: int
    offset: int
